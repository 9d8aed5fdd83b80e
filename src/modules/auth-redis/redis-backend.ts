/**
 * The connections of one auth-redis instance: a small round-robin pool of ioredis clients (single,
 * sentinel) or one cluster client. Every command is bounded by the query timeout; while the server
 * is known to be down a command fails at once instead of queueing (a connect never hangs).
 */
import type { Cluster, Redis } from 'ioredis';
import { loadIoredis } from '../../load-ioredis.js';
import { backendTlsOptions, splitHostPort, type BackendSslConfig } from './tls-options.js';

export interface RedisBackendConfig {
  redis_type: 'single' | 'sentinel' | 'cluster';
  servers: string[];
  sentinel: string;
  database: number;
  password: string;
  pool_size: number;
  ssl?: BackendSslConfig;
}

/** What the auth logic needs from Redis: one command, raw reply. */
export interface RedisExec {
  exec(name: string, args: string[]): Promise<unknown>;
}

/** More connections than this per instance buy nothing: ioredis pipelines on each. */
const MAX_POOL = 4;
const RETRY_CAP_MS = 2000;

type Client = Redis | Cluster;

export class RedisBackend implements RedisExec {
  private readonly clients: Client[];
  private next = 0;
  private closed = false;
  /** Last connection error, for the degraded reason. */
  lastError: string | undefined;
  /** Called when a connection fails (down, with the reason) or becomes ready (up). */
  onStateChange: ((up: boolean, reason: string) => void) | undefined;

  constructor(config: RedisBackendConfig, timeoutMs: number, baseDir: string) {
    const tls = backendTlsOptions(config.ssl, baseDir);
    const common = {
      ...(config.password ? { password: config.password } : {}),
      ...(tls ? { tls } : {}),
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      // Queue only while (re)connecting; a command never waits longer than commandTimeout.
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(50 * times, RETRY_CAP_MS),
      lazyConnect: false,
    };
    const onError = (err: Error): void => {
      this.lastError = err.message || String(err);
      if (!this.closed) this.onStateChange?.(false, this.lastError);
    };
    const { Cluster: ClusterClient, Redis: RedisClient } = loadIoredis();
    const make = (): Client => {
      let client: Client;
      if (config.redis_type === 'cluster') {
        const { retryStrategy: _node, ...redisOptions } = common;
        client = new ClusterClient(config.servers.map((s) => splitHostPort(s, 6379)), {
          redisOptions,
          clusterRetryStrategy: (times: number) => Math.min(50 * times, RETRY_CAP_MS),
        });
      } else if (config.redis_type === 'sentinel') {
        client = new RedisClient({
          ...common,
          sentinels: config.servers.map((s) => splitHostPort(s, 26379)),
          name: config.sentinel,
          db: config.database,
        });
      } else {
        const { host, port } = splitHostPort(config.servers[0]!, 6379);
        client = new RedisClient({ ...common, host, port, db: config.database });
      }
      client.on('error', onError);
      client.on('ready', () => {
        this.lastError = undefined;
        if (!this.closed) this.onStateChange?.(true, 'ready');
      });
      return client;
    };
    const size = config.redis_type === 'cluster' ? 1 : Math.max(1, Math.min(config.pool_size, MAX_POOL));
    this.clients = Array.from({ length: size }, make);
  }

  /** Whether at least one connection is ready. */
  get connected(): boolean {
    return this.clients.some((c) => c.status === 'ready');
  }

  async exec(name: string, args: string[]): Promise<unknown> {
    if (this.closed) throw new Error('redis backend closed');
    const client = this.pick();
    if (!client) throw new Error(`redis not connected${this.lastError ? `: ${this.lastError}` : ''}`);
    return client.call(name, args);
  }

  /**
   * Closes every connection. With `graceMs`, a ready connection first answers the commands in
   * flight (QUIT), bounded by graceMs; otherwise, and for a dead server, the socket is dropped.
   */
  async close(graceMs = 0): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.clients.map(async (c) => {
        c.on('error', () => undefined);
        if (graceMs > 0 && c.status === 'ready') {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            c.quit().catch(() => undefined),
            new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
          ]);
          clearTimeout(timer);
        }
        c.disconnect();
      }),
    );
  }

  /** A ready client, round-robin; else one still connecting (its command is bounded by the timeout). */
  private pick(): Client | undefined {
    const n = this.clients.length;
    for (let k = 0; k < n; k++) {
      const c = this.clients[(this.next + k) % n]!;
      if (c.status === 'ready') {
        this.next = (this.next + k + 1) % n;
        return c;
      }
    }
    // Down (waiting to reconnect): fail fast. Connecting for the first time: queue, bounded.
    return this.clients.find((c) => c.status === 'connecting' || c.status === 'connect' || c.status === 'wait');
  }
}
