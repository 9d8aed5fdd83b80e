/**
 * The CONNACK Session Present record (session-present.ts) shared by the nodes of a cluster, so a
 * session made on one node is reported present when the client resumes it on another.
 *
 * One key per client id, `modmq:{<name>}:session:<clientId>` (the cluster's hash tag: two clusters
 * can share one Redis), that lives as long as the session: a finite expiry becomes the key's TTL
 * (Redis drops it then), Infinity a key without TTL; `exists` is the key existing.
 *
 * The connection is the cluster's usual one (ClusterContext.connect). Once it has been up, a call
 * made while it is down fails at once, like the session store's calls (redis-messaging.ts): the
 * CONNECT that asked goes on with aedes' own answer (and is refused if it needs a stored session)
 * instead of waiting for reconnection attempts. Before the first connection commands wait for it,
 * which the node's start does anyway.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SessionRecords } from '../broker/session-present.js';
import type { ClusterContext } from './cluster-context.js';

export class RedisSessionRecords implements SessionRecords {
  private readonly redis: Redis;
  private readonly prefix: string;
  private connectedOnce = false;

  constructor(cluster: ClusterContext, log: Logger) {
    this.prefix = `${cluster.keyPrefix}session:`;
    this.redis = cluster.connect();
    this.redis.once('ready', () => {
      this.connectedOnce = true;
    });
    // The session connections already report outages; without a listener ioredis prints each error.
    this.redis.on('error', (error: Error) => log.debug({ err: error }, 'session records: Redis error'));
  }

  /** The connection, or an error at once while Redis is down. */
  private conn(): Redis {
    if (this.connectedOnce && this.redis.status !== 'ready') throw new Error('session records: cluster Redis unavailable');
    return this.redis;
  }

  private key(clientId: string): string {
    return this.prefix + clientId;
  }

  async exists(clientId: string): Promise<boolean> {
    return (await this.conn().exists(this.key(clientId))) === 1;
  }

  async keep(clientId: string, expiresAt: number): Promise<void> {
    if (expiresAt === Infinity) {
      // A plain SET also clears the TTL of an earlier, expiring record.
      await this.conn().set(this.key(clientId), '1');
      return;
    }
    const ttlMs = Math.ceil(expiresAt - Date.now());
    if (ttlMs <= 0) {
      await this.forget(clientId);
      return;
    }
    // Relative, so the nodes' clocks need not agree with Redis' one.
    await this.conn().set(this.key(clientId), '1', 'PX', ttlMs);
  }

  async forget(clientId: string): Promise<void> {
    await this.conn().del(this.key(clientId));
  }

  /** Frees the connection (drops it at once while Redis is down). Idempotent. */
  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    if (this.redis.status !== 'ready') {
      this.redis.disconnect();
      return;
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
