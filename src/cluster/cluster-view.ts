/**
 * The cluster-wide view a node serves (`GET /api/v1/nodes`, per-node module status): on Redis,
 * membership + node status of every live node; alone, just this node. This node's own entry always
 * comes from its live state (fresher than what it wrote to Redis), and is listed even while Redis
 * is down (the answer then carries `error`).
 */
import type { Redis } from 'ioredis';
import type { ModuleStatus, NodeModuleStatus } from '../modules/runtime/module-status.js';
import type { ClusterContext } from './cluster-context.js';
import { listMembers, Membership, type ClusterLog, type NodeAnnouncement } from './membership.js';
import { NodeStatusPublisher, readNodeStatuses } from './node-status.js';

/** How long a stopping node tries to remove its entries from Redis. */
const STOP_TIMEOUT_MS = 2000;

export interface ClusterNodeView extends NodeAnnouncement {
  lastSeen: string;
  /** The node answering. */
  self: boolean;
  /** null: the node has not published its status yet. */
  appliedRevision: number | null;
  modules: ModuleStatus[] | null;
}

export interface ClusterNodes {
  /** Cluster name; null on a node without a cluster. */
  cluster: string | null;
  nodes: ClusterNodeView[];
  /** Set when the cluster could not be read (Redis down): `nodes` then holds this node only. */
  error?: string;
}

export interface ClusterView {
  /** Announces this node (its API address is known only once the API listens). */
  start(api: { host: string; port: number }, listeners: NodeAnnouncement['listeners']): Promise<void>;
  /** The reconciler changed a module's state or applied a revision. */
  statusChanged(): void;
  nodes(): Promise<ClusterNodes>;
  stop(): Promise<void>;
}

export interface ClusterViewOptions {
  name: string;
  version: string;
  startedAt: string;
  status: () => NodeModuleStatus;
  log: ClusterLog;
}

function selfView(announcement: NodeAnnouncement, status: NodeModuleStatus): ClusterNodeView {
  return {
    ...announcement,
    lastSeen: new Date().toISOString(),
    self: true,
    appliedRevision: status.appliedRevision,
    modules: status.modules,
  };
}

function announcement(options: ClusterViewOptions): NodeAnnouncement {
  return { name: options.name, version: options.version, startedAt: options.startedAt, api: { host: '', port: 0 }, listeners: [] };
}

/** A node without a cluster: the view is itself. */
export function localClusterView(options: ClusterViewOptions): ClusterView {
  const self = announcement(options);
  return {
    async start(api, listeners) {
      self.api = api;
      self.listeners = listeners;
    },
    statusChanged() {},
    async nodes() {
      return { cluster: null, nodes: [selfView(self, options.status())] };
    },
    async stop() {},
  };
}

/** A node of a cluster on Redis: heartbeats, status publishing and the listing of live nodes. */
export function redisClusterView(cluster: ClusterContext, options: ClusterViewOptions & { heartbeatMs: number }): ClusterView {
  const self = announcement(options);
  let redis: Redis | undefined;
  let membership: Membership | undefined;
  let publisher: NodeStatusPublisher | undefined;
  return {
    async start(api, listeners) {
      self.api = api;
      self.listeners = listeners;
      redis = cluster.connect();
      // ioredis reports every failed reconnect; membership logs the outage once.
      redis.on('error', () => undefined);
      const ttlMs = options.heartbeatMs * 5;
      publisher = new NodeStatusPublisher({ redis, keyPrefix: cluster.keyPrefix, node: options.name, status: options.status, ttlMs, log: options.log });
      const statusWriter = publisher;
      membership = new Membership({
        redis,
        keyPrefix: cluster.keyPrefix,
        self,
        heartbeatMs: options.heartbeatMs,
        ttlMs,
        log: options.log,
        onBeat: () => statusWriter.publish(),
      });
      await membership.start();
      // Back from an outage: announce at once rather than at the next heartbeat.
      const beater = membership;
      redis.on('ready', () => void beater.beat());
    },
    statusChanged() {
      publisher?.changed();
    },
    async nodes() {
      const own = selfView(self, options.status());
      if (!redis) return { cluster: cluster.name, nodes: [own] };
      try {
        const members = await listMembers(redis, cluster.keyPrefix);
        const others = members.filter((m) => m.name !== options.name);
        const statuses = await readNodeStatuses(redis, cluster.keyPrefix, others.map((m) => m.name));
        const views: ClusterNodeView[] = others.map(({ instance: _instance, ...m }) => {
          const status = statuses.get(m.name);
          return { ...m, self: false, appliedRevision: status?.appliedRevision ?? null, modules: status?.modules ?? null };
        });
        views.push(own);
        views.sort((a, b) => a.name.localeCompare(b.name));
        return { cluster: cluster.name, nodes: views };
      } catch (err) {
        return { cluster: cluster.name, nodes: [own], error: `cannot read the cluster from Redis: ${(err as Error).message}` };
      }
    },
    async stop() {
      // Membership first: others stop listing this node before its status disappears. Bounded: an
      // unreachable Redis must not hold up the shutdown (the entries then expire by TTL).
      const goodbye = (async () => {
        await membership?.stop();
        await publisher?.stop();
      })();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([goodbye, new Promise<void>((r) => (timer = setTimeout(r, STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
      redis?.disconnect();
    },
  };
}
