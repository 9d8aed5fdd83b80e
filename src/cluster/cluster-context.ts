import type { Redis } from 'ioredis';
import { loadIoredis } from '../load-ioredis.js';

/**
 * What a module (and the node's own parts) see of the cluster when the node runs with
 * `cluster.backend = redis`. Absent on a single node: modules then keep their data in SQLite
 * under their own data dir, as before.
 *
 * Modules with shared state (built-in DB users and ACL, retained messages, delayed messages) pick
 * their Redis backend when `ctx.cluster` is present. Key names:
 *   `${keyPrefix}m:<moduleId>:...`  for module data (`moduleKeyPrefix(moduleId)` builds it),
 *   `${keyPrefix}...`               for the node's own (membership, status, config).
 * The prefix carries one hash tag per cluster, so a Redis Cluster keeps a cluster's keys in one
 * slot and Lua scripts over several of them stay legal.
 */
export interface ClusterContext {
  /** Cluster name (node config `cluster.name`). */
  readonly name: string;
  /** `modmq:{<name>}:` */
  readonly keyPrefix: string;
  /** Opens a new connection to the cluster's Redis; the caller `quit()`s it when it stops. */
  connect(): Redis;
}

export function clusterKeyPrefix(name: string): string {
  return `modmq:{${name}}:`;
}

export function moduleKeyPrefix(cluster: Pick<ClusterContext, 'keyPrefix'>, moduleId: string): string {
  return `${cluster.keyPrefix}m:${moduleId}:`;
}

/** The cluster context of a node configured with `cluster { backend = redis, url, name }`. */
export function redisClusterContext(url: string, name: string): ClusterContext {
  return {
    name,
    keyPrefix: clusterKeyPrefix(name),
    connect: () =>
      new (loadIoredis().Redis)(url, {
        connectTimeout: 5000,
        // Offline commands fail fast instead of queueing forever while Redis is down.
        maxRetriesPerRequest: 2,
        retryStrategy: (times: number) => Math.min(50 * times, 2000),
      }),
  };
}
