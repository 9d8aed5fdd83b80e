/**
 * Retained messages in the cluster's Redis (cluster mode), mirrored in every node's memory.
 *
 * Redis is the source of truth; each node keeps a full replica (a RamBackend: map + topic trie,
 * the same structure EMQX keeps as ram copies on every node), so SUBSCRIBE lookups, wildcards
 * included, never leave the node. Every change is a Lua script that writes, bumps a sequence
 * number and publishes the change with it, atomically:
 *
 *   <prefix>msgs    hash  topic -> record (header JSON + payload bytes)
 *   <prefix>exp     zset  topic -> expiresAt, for the messages that expire
 *   <prefix>seq     counter of changes
 *   <prefix>events  channel "S<seq> <topic bytes> <topic><record>" | "D<seq> <topic bytes> <topic>"
 *
 * Replicas apply events in sequence order; a gap (a missed event) or a feed reconnect reloads the
 * whole hash together with its sequence (MULTI), so every node converges on what Redis holds.
 * A node's own writes are applied at once (read-your-writes) and again when their event arrives.
 * Limits hold cluster-wide: the store script refuses a new topic when the hash is full.
 */
import type { Redis } from 'ioredis';
import { ChangeFeed } from '../../cluster/change-feed.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { decodeRecord, encodeRecord } from '../../cluster/record-codec.js';
import type { RetainedMessage } from '../../broker/hooks.js';
import { decodeProperties, encodeProperties } from '../delayed-publish/properties-codec.js';
import { RamBackend } from './ram-backend.js';

const STORE = `
local max = tonumber(ARGV[4])
if max > 0 and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= max then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) else redis.call('ZREM', KEYS[2], ARGV[1]) end
local seq = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[5], 'S' .. seq .. ' ' .. #ARGV[1] .. ' ' .. ARGV[1] .. ARGV[2])
return seq`;

const DELETE = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
local seq = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[2], 'D' .. seq .. ' ' .. #ARGV[1] .. ' ' .. ARGV[1])
return seq`;

// Only what Redis itself holds as expired goes: a newer, live message under the topic has a newer score.
const SWEEP = `
local topics = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, t in ipairs(topics) do
  redis.call('ZREM', KEYS[2], t)
  if redis.call('HDEL', KEYS[1], t) == 1 then
    local seq = redis.call('INCR', KEYS[3])
    redis.call('PUBLISH', ARGV[2], 'D' .. seq .. ' ' .. #t .. ' ' .. t)
  end
end
return #topics`;

const SWEEP_BATCH = 1000;

interface Scripts {
  modmqRetainStore(msgs: string, exp: string, seq: string, topic: string, record: Buffer, expiresAt: string, max: number, channel: string): Promise<number>;
  modmqRetainDelete(msgs: string, exp: string, seq: string, topic: string, channel: string): Promise<number>;
  modmqRetainSweep(msgs: string, exp: string, seq: string, now: number, channel: string, limit: number): Promise<number>;
}

interface Header {
  q: 0 | 1 | 2;
  t: number;
  e?: number;
  p?: string;
}

export function encodeRetained(m: RetainedMessage): Buffer {
  const header: Header = { q: m.qos, t: m.storedAt };
  if (m.expiresAt !== undefined) header.e = m.expiresAt;
  const properties = encodeProperties(m.properties);
  if (properties !== null) header.p = properties;
  return encodeRecord(JSON.stringify(header), m.payload);
}

export function decodeRetained(topic: string, record: Buffer): RetainedMessage {
  const { header, payload } = decodeRecord(record);
  const h = JSON.parse(header) as Header;
  const m: RetainedMessage = { topic, payload, qos: h.q, storedAt: h.t };
  if (h.e !== undefined) m.expiresAt = h.e;
  const properties = decodeProperties(h.p ?? null);
  if (properties !== undefined) m.properties = properties;
  return m;
}

/** "S12 5 a/b/c<record>" -> parts; undefined when malformed. */
function parseEvent(event: Buffer): { kind: 'S' | 'D'; seq: number; topic: string; record: Buffer } | undefined {
  const kind = String.fromCharCode(event[0] ?? 0);
  if (kind !== 'S' && kind !== 'D') return undefined;
  const space1 = event.indexOf(0x20, 1);
  const space2 = space1 < 0 ? -1 : event.indexOf(0x20, space1 + 1);
  if (space2 < 0) return undefined;
  const seq = Number(event.toString('latin1', 1, space1));
  const length = Number(event.toString('latin1', space1 + 1, space2));
  const start = space2 + 1;
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(length) || start + length > event.length) return undefined;
  return { kind, seq, topic: event.toString('utf8', start, start + length), record: event.subarray(start + length) };
}

export interface RedisBackendOptions {
  cluster: ClusterContext;
  /** moduleKeyPrefix(cluster, moduleId) */
  prefix: string;
  /** max_retained_messages now (0 = unlimited), enforced by Redis across the cluster. */
  maxMessages(): number;
  /** Redis refused a new topic because the cluster's store is full. */
  onRefusedFull(message: RetainedMessage): void;
  onError(error: unknown, what: string): void;
}

export class RedisBackend extends RamBackend {
  override readonly kind = 'redis' as const;
  private readonly redis: Redis;
  private readonly scripts: Scripts;
  private readonly feed: ChangeFeed;
  private readonly keys: { msgs: string; exp: string; seq: string; channel: string };
  /** Sequence number of the last change applied; events up to it are already in the replica. */
  private lastSeq = 0;
  /** Events heard while a reload is in flight (applied after it, those newer than its snapshot). */
  private buffered: Buffer[] | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private closing: Promise<void> | undefined;

  private constructor(private readonly options: RedisBackendOptions) {
    super();
    const p = options.prefix;
    this.keys = { msgs: `${p}msgs`, exp: `${p}exp`, seq: `${p}seq`, channel: `${p}events` };
    this.redis = options.cluster.connect();
    this.redis.on('error', (error: Error) => options.onError(error, 'Redis connection'));
    this.redis.defineCommand('modmqRetainStore', { numberOfKeys: 3, lua: STORE });
    this.redis.defineCommand('modmqRetainDelete', { numberOfKeys: 3, lua: DELETE });
    this.redis.defineCommand('modmqRetainSweep', { numberOfKeys: 3, lua: SWEEP });
    this.scripts = this.redis as unknown as Scripts;
    this.feed = new ChangeFeed({
      cluster: options.cluster,
      channel: this.keys.channel,
      onMessage: (event) => this.onEvent(event),
      onResync: () => this.reload(),
      onError: (error) => options.onError(error, 'Redis change feed'),
    });
  }

  /** Subscribes, then loads what Redis holds. */
  static async open(options: RedisBackendOptions): Promise<RedisBackend> {
    const backend = new RedisBackend(options);
    try {
      await backend.feed.start();
      await backend.reload();
      return backend;
    } catch (error) {
      backend.close();
      await backend.closed();
      throw error;
    }
  }

  override put(message: RetainedMessage): void {
    super.put(message);
    const expiresAt = message.expiresAt === undefined ? '' : String(message.expiresAt);
    const k = this.keys;
    this.scripts
      .modmqRetainStore(k.msgs, k.exp, k.seq, message.topic, encodeRetained(message), expiresAt, this.options.maxMessages(), k.channel)
      .then((seq) => {
        if (seq !== 0) return;
        // Full cluster-wide: undo our optimistic copy unless a newer change already replaced it.
        if (this.byTopic.get(message.topic) === message) super.delete(message.topic);
        this.options.onRefusedFull(message);
      })
      .catch((error: unknown) => this.failed(error, 'retained store'));
  }

  override delete(topic: string): boolean {
    const existed = super.delete(topic);
    const k = this.keys;
    // Sent even when this replica has no copy: it may lag behind another node's store.
    this.scripts.modmqRetainDelete(k.msgs, k.exp, k.seq, topic, k.channel).catch((error: unknown) => this.failed(error, 'retained delete'));
    return existed;
  }

  /** Drops expired copies here and has Redis remove what it holds as expired (any node may; idempotent). */
  sweepExpired(now: number): number {
    const expired: string[] = [];
    for (const m of this.byTopic.values()) if (m.expiresAt !== undefined && m.expiresAt <= now) expired.push(m.topic);
    for (const topic of expired) super.delete(topic);
    const k = this.keys;
    this.scripts.modmqRetainSweep(k.msgs, k.exp, k.seq, now, k.channel, SWEEP_BATCH).catch((error: unknown) => this.failed(error, 'retained expiry sweep'));
    return expired.length;
  }

  override replaceAll(): void {
    throw new Error('retained messages on Redis are shared by the cluster; they are not moved');
  }

  override close(): void {
    if (this.closing) return;
    this.closing = (async () => {
      await this.feed.close();
      try {
        await this.redis.quit();
      } catch {
        this.redis.disconnect();
      }
    })();
    super.close();
  }

  /** Resolves when both connections are closed (after `close()`). */
  async closed(): Promise<void> {
    await this.closing;
  }

  /** Resolves when the replica caught up with a snapshot taken now (tests, start). */
  reload(): Promise<void> {
    if (this.closing) return Promise.resolve();
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.buffered = [];
    this.reloading = this.loadSnapshot()
      .catch((error: unknown) => {
        this.options.onError(error, 'retained reload');
        throw error;
      })
      .finally(() => {
        this.reloading = undefined;
        this.buffered = undefined;
        if (this.reloadAgain) {
          this.reloadAgain = false;
          void this.reload().catch(() => undefined);
        }
      });
    return this.reloading;
  }

  private async loadSnapshot(): Promise<void> {
    const replies = await this.redis.multi().get(this.keys.seq).hgetallBuffer(this.keys.msgs).exec();
    if (!replies) throw new Error('snapshot transaction aborted');
    const [[seqError, seqText], [hashError, hash]] = replies as [[Error | null, string | null], [Error | null, Record<string, Buffer>]];
    if (seqError) throw seqError;
    if (hashError) throw hashError;
    for (const topic of [...this.byTopic.keys()]) super.delete(topic);
    for (const [topic, record] of Object.entries(hash)) {
      try {
        super.put(decodeRetained(topic, record));
      } catch (error) {
        this.options.onError(error, `unreadable retained record for ${topic}`);
      }
    }
    this.lastSeq = Number(seqText ?? 0);
    const pending = this.buffered ?? [];
    this.buffered = undefined;
    for (const event of pending) this.onEvent(event);
  }

  private onEvent(raw: Buffer): void {
    if (this.buffered) {
      this.buffered.push(raw);
      return;
    }
    const event = parseEvent(raw);
    if (!event) {
      this.options.onError(new Error('malformed retained event'), 'retained change feed');
      return;
    }
    if (event.seq <= this.lastSeq) return; // already in the snapshot
    if (event.seq !== this.lastSeq + 1) {
      // An event went missing: start again from what Redis holds.
      void this.reload().catch(() => undefined);
      return;
    }
    this.lastSeq = event.seq;
    if (event.kind === 'D') {
      super.delete(event.topic);
      return;
    }
    try {
      super.put(decodeRetained(event.topic, event.record));
    } catch (error) {
      this.options.onError(error, `unreadable retained record for ${event.topic}`);
    }
  }

  /** A write did not reach Redis: report it; the replica re-reads Redis once it answers again. */
  private failed(error: unknown, what: string): void {
    if (this.closing) return;
    this.options.onError(error, what);
    void this.reload().catch(() => undefined);
  }
}
