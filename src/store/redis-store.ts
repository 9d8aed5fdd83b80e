/**
 * The config store of a cluster, on Redis. Keys (one hash tag, so a Redis Cluster keeps them in one
 * slot and the Lua scripts stay legal), for cluster name `<n>`:
 *   modmq:{<n>}:config:revision   current revision number (absent = revision 0, the empty document)
 *   modmq:{<n>}:config:docs       hash revision -> document JSON
 *   modmq:{<n>}:config:meta       hash revision -> {author, at, summary} JSON
 *   modmq:{<n>}:config:oldest     oldest revision still kept in the two hashes
 *   modmq:{<n>}:config:changed    pub/sub channel, message = the new revision
 *
 * Commit is one Lua script (compare-and-set, write, trim history, publish): atomic on the server.
 * Watching is level-triggered: pub/sub on a second connection, plus a resync on every (re)connect and
 * on a periodic check of the revision, so a handle that missed messages converges.
 *
 * Redis that lost its data (restart without persistence, restore of an older snapshot): revisions
 * only ever grow, so a handle that saw a newer revision than Redis now holds writes that revision
 * back ("re-seed", with its number, author and summary; older history is gone). The seed script only
 * writes when Redis is still behind, so of several nodes the one that knows the newest revision
 * wins. A commit that landed in between on the emptied Redis is superseded by the seed (logged).
 */
import type { Redis } from 'ioredis';
import { loadIoredis } from '../load-ioredis.js';
import type { ClusterDocument } from './cluster-document.js';
import { emptyDocument } from './cluster-document.js';
import {
  RevisionConflictError,
  type CommitRequest,
  type ConfigStore,
  type Revision,
  type RevisionSummary,
} from './config-store.js';

/** The part of a pino logger the store uses. */
export interface StoreLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` */
  url: string;
  /** Cluster name: namespaces the keys, so clusters can share one Redis. */
  name: string;
  /** Revisions kept (oldest pruned, never the current). Default 1000. */
  historyCap?: number;
  /** How often a watching handle checks the revision (missed notifications). Default 2000 ms. */
  resyncIntervalMs?: number;
  /** Bound on connect and on each command, so nothing hangs while Redis is down. Default 5000 ms. */
  timeoutMs?: number;
  log?: StoreLog;
}

interface Meta {
  author: string;
  at: string;
  summary: string;
}

const EPOCH = new Date(0).toISOString();

function revisionZero(): Revision {
  return { revision: 0, document: emptyDocument(), author: 'system', at: EPOCH, summary: 'empty document' };
}

// KEYS: revision, docs, meta, oldest. ARGV: expected ('' = none), document, meta, cap, channel.
// Returns {1, new revision} or {0, current revision} on a conflict.
const COMMIT_LUA = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= cur then return {0, cur} end
local nxt = cur + 1
redis.call('SET', KEYS[1], nxt)
redis.call('HSET', KEYS[2], nxt, ARGV[2])
redis.call('HSET', KEYS[3], nxt, ARGV[3])
local oldest = tonumber(redis.call('GET', KEYS[4]) or '1')
local keepFrom = nxt - tonumber(ARGV[4]) + 1
while oldest < keepFrom do
  redis.call('HDEL', KEYS[2], oldest)
  redis.call('HDEL', KEYS[3], oldest)
  oldest = oldest + 1
end
redis.call('SET', KEYS[4], oldest)
redis.call('PUBLISH', ARGV[5], nxt)
return {1, nxt}
`;

// KEYS as above. ARGV: revision, document, meta, channel. Writes only when Redis is behind.
const SEED_LUA = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local r = tonumber(ARGV[1])
if cur >= r then return cur end
redis.call('SET', KEYS[1], r)
redis.call('HSET', KEYS[2], r, ARGV[2])
redis.call('HSET', KEYS[3], r, ARGV[3])
if cur == 0 then redis.call('SET', KEYS[4], r) end
redis.call('PUBLISH', ARGV[4], r)
return r
`;

const silentLog: StoreLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class RedisConfigStore implements ConfigStore {
  private readonly keys: { revision: string; docs: string; meta: string; oldest: string; channel: string };
  private readonly historyCap: number;
  private readonly resyncIntervalMs: number;
  private readonly log: StoreLog;
  private readonly listeners = new Set<(revision: number) => void>();
  private timer: NodeJS.Timeout | undefined;
  /** The newest revision this handle has seen, with its document: what a re-seed writes back. */
  private known: Revision | undefined;
  /** The revision listeners were last told about. */
  private lastNotified = -1;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private down = false;
  private closed = false;

  constructor(
    private readonly client: Redis,
    private readonly sub: Redis,
    options: RedisStoreOptions,
  ) {
    const ns = `modmq:{${options.name}}:config`;
    this.keys = { revision: `${ns}:revision`, docs: `${ns}:docs`, meta: `${ns}:meta`, oldest: `${ns}:oldest`, channel: `${ns}:changed` };
    this.historyCap = Math.max(1, options.historyCap ?? 1000);
    this.resyncIntervalMs = options.resyncIntervalMs ?? 2000;
    this.log = options.log ?? silentLog;
    client.defineCommand('modmqCommit', { numberOfKeys: 4, lua: COMMIT_LUA });
    client.defineCommand('modmqSeed', { numberOfKeys: 4, lua: SEED_LUA });
    const onError = (err: Error): void => {
      if (this.closed || this.down) return;
      this.down = true;
      this.log.warn({ err: err.message }, 'config store: Redis connection lost; retrying');
    };
    client.on('error', onError);
    sub.on('error', onError);
    // Every (re)connect resyncs: the notifications sent while we were away are lost.
    client.on('ready', () => {
      if (this.down) this.log.info({}, 'config store: Redis connection back; resyncing');
      this.down = false;
      this.resync();
    });
    sub.on('message', (channel: string) => {
      if (channel === this.keys.channel) this.resync();
    });
  }

  /** Subscribes the notification connection; called once by {@link openRedisStore}. */
  async subscribe(): Promise<void> {
    await this.sub.subscribe(this.keys.channel);
  }

  async current(): Promise<Revision> {
    this.assertOpen();
    const raw = await this.client.get(this.keys.revision);
    const revision = raw === null ? 0 : Number(raw);
    if (revision === 0) return revisionZero();
    const found = await this.read(revision);
    // Between GET and HGET another commit may have trimmed it (tiny cap): read again.
    return found ?? this.current();
  }

  async get(revision: number): Promise<Revision | undefined> {
    this.assertOpen();
    if (revision === 0) return revisionZero();
    if (!Number.isInteger(revision) || revision < 0) return undefined;
    return this.read(revision);
  }

  async commit(request: CommitRequest): Promise<Revision> {
    this.assertOpen();
    const document: ClusterDocument = structuredClone(request.document);
    const at = new Date().toISOString();
    const meta: Meta = { author: request.author, at, summary: request.summary };
    const expected = request.expectedRevision === undefined ? '' : String(request.expectedRevision);
    const [ok, revision] = (await (this.client as RedisWithScripts).modmqCommit(
      this.keys.revision,
      this.keys.docs,
      this.keys.meta,
      this.keys.oldest,
      expected,
      JSON.stringify(document),
      JSON.stringify(meta),
      String(this.historyCap),
      this.keys.channel,
    )) as [number, number];
    if (ok !== 1) throw new RevisionConflictError(request.expectedRevision!, revision);
    const result: Revision = { revision, document, ...meta };
    this.remember(result);
    this.notify(revision);
    return structuredClone(result);
  }

  async history(limit = 100): Promise<RevisionSummary[]> {
    this.assertOpen();
    const raw = await this.client.get(this.keys.revision);
    const top = raw === null ? 0 : Number(raw);
    const count = Math.min(Math.max(0, Math.floor(limit)), top);
    if (count === 0) return [];
    const wanted = Array.from({ length: count }, (_, i) => String(top - i));
    const metas = await this.client.hmget(this.keys.meta, ...wanted);
    const out: RevisionSummary[] = [];
    metas.forEach((m, i) => {
      if (m !== null) out.push({ revision: Number(wanted[i]), ...(JSON.parse(m) as Meta) });
    });
    return out;
  }

  watch(listener: (revision: number) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer && !this.closed) {
      // Baseline: what this handle has read (a handle that read nothing hears the current revision).
      if (this.lastNotified < 0) this.lastNotified = this.known?.revision ?? 0;
      this.timer = setInterval(() => this.resync(), this.resyncIntervalMs);
      this.timer.unref();
      this.resync();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopTimer();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    this.listeners.clear();
    await this.resyncing?.catch(() => undefined);
    this.client.disconnect();
    this.sub.disconnect();
  }

  /**
   * Reads the current revision and tells listeners when it moved; re-seeds a Redis that went behind
   * what this handle has seen. Never throws: a failure is repaired by the next trigger.
   */
  resync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      do {
        this.resyncAgain = false;
        try {
          await this.resyncOnce();
        } catch (err) {
          if (!this.closed && !this.down) this.log.warn({ err: (err as Error).message }, 'config store: resync failed; will retry');
        }
      } while (this.resyncAgain && !this.closed);
    })().finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  private async resyncOnce(): Promise<void> {
    if (this.closed) return;
    const raw = await this.client.get(this.keys.revision);
    const inRedis = raw === null ? 0 : Number(raw);
    const known = this.known;
    if (known && inRedis < known.revision) {
      await this.reseed(known, inRedis);
      return;
    }
    if (inRedis === this.lastNotified && inRedis === (known?.revision ?? 0)) return;
    const cur = await this.current();
    this.remember(cur);
    if (cur.revision > this.lastNotified) this.notify(cur.revision);
  }

  private async reseed(known: Revision, inRedis: number): Promise<void> {
    this.log.warn(
      { revision: known.revision, inRedis },
      `config store: Redis holds revision ${inRedis} but this node saw ${known.revision} (Redis lost data?); writing revision ${known.revision} back`,
    );
    const meta: Meta = { author: known.author, at: known.at, summary: known.summary };
    const result = (await (this.client as RedisWithScripts).modmqSeed(
      this.keys.revision,
      this.keys.docs,
      this.keys.meta,
      this.keys.oldest,
      String(known.revision),
      JSON.stringify(known.document),
      JSON.stringify(meta),
      this.keys.channel,
    )) as number;
    // Another node may have seeded something newer: adopt whatever is current now.
    const cur = await this.current();
    if (inRedis > 0 && result === known.revision) {
      this.log.warn({ superseded: inRedis }, `config store: revision ${inRedis} written to the emptied Redis was superseded by the re-seed`);
    }
    this.remember(cur);
    if (cur.revision > this.lastNotified) this.notify(cur.revision);
  }

  private async read(revision: number): Promise<Revision | undefined> {
    const [doc, meta] = await Promise.all([
      this.client.hget(this.keys.docs, String(revision)),
      this.client.hget(this.keys.meta, String(revision)),
    ]);
    if (doc === null || meta === null) return undefined;
    const result: Revision = { revision, document: JSON.parse(doc) as ClusterDocument, ...(JSON.parse(meta) as Meta) };
    this.remember(result);
    return result;
  }

  private remember(revision: Revision): void {
    if (!this.known || revision.revision > this.known.revision) this.known = structuredClone(revision);
  }

  private notify(revision: number): void {
    this.lastNotified = revision;
    for (const listener of [...this.listeners]) {
      try {
        listener(revision);
      } catch {
        // A listener's failure must not stop the others or fail the commit.
      }
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('config store is closed');
  }
}

type ScriptFn = (...args: string[]) => Promise<unknown>;
type RedisWithScripts = Redis & { modmqCommit: ScriptFn; modmqSeed: ScriptFn };

/**
 * Connects (two connections: commands and notifications) and subscribes. Fails within `timeoutMs`
 * when Redis cannot be reached, so a node does not start half-connected.
 */
export async function openRedisStore(options: RedisStoreOptions): Promise<RedisConfigStore> {
  if (!options.name) throw new Error('cluster name is required');
  const timeoutMs = options.timeoutMs ?? 5000;
  const { Redis } = loadIoredis();
  const client = new Redis(options.url, {
    lazyConnect: true,
    // Visible in CLIENT LIST: which connections are config stores, of which cluster.
    connectionName: `modmq-config-${options.name}`,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 2,
    retryStrategy: (times: number) => Math.min(50 * times, 2000),
  });
  const sub = client.duplicate();
  const store = new RedisConfigStore(client, sub, options);
  try {
    await client.connect();
    await sub.connect();
    await store.subscribe();
  } catch (err) {
    await store.close();
    throw new Error(`cannot reach the cluster's Redis at ${redactUrl(options.url)}: ${(err as Error).message}`);
  }
  return store;
}

/** Hides a password in a Redis URL for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
