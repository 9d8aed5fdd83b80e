/**
 * Held messages in the cluster's Redis (cluster mode). Any node adds, lists and deletes; only the
 * node holding the release lease (delayed-owner.ts) claims due messages, in a script that checks
 * the lease and moves them from the queue to `inflight` atomically, so two nodes never claim the
 * same message. After its publish a message is acknowledged (deleted); what a crashed owner had
 * claimed but not acknowledged is put back in the queue by the next owner (at-least-once across
 * a crash, once under normal operation).
 *
 *   <prefix>ids            counter of message ids
 *   <prefix>queue          zset  member (id, 15 digits) -> publishAt   (held, not claimed)
 *   <prefix>inflight       zset  member -> claim time                  (claimed, not acknowledged)
 *   <prefix>msgs           hash  member -> record (header JSON + payload bytes)
 *   <prefix>meta           hash  member -> "<publishAt> <topic>"
 *   <prefix>topic:<topic>  zset  member -> publishAt                   (held, by target topic)
 *   <prefix>lease          string: the release owner's token, with a TTL
 *   <prefix>added          channel: publishAt of each new message (the owner re-arms its timer)
 */
import type { Redis } from 'ioredis';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { decodeRecord, encodeRecord } from '../../cluster/record-codec.js';
import type { DelayedQueue } from './delayed-queue.js';
import type { DelayedMessage, NewDelayedMessage } from './delayed-store.js';
import { decodeProperties, encodeProperties } from './properties-codec.js';

// Keys by position: 1 ids, 2 queue, 3 inflight, 4 msgs, 5 meta, 6 lease. ARGV[1] is the key prefix
// (topic zsets are named from it; every key shares the cluster's hash tag, so one slot).
const HEADER = `
local P = ARGV[1]
local function remove(m)
  local meta = redis.call('HGET', KEYS[5], m)
  if not meta then return 0 end
  local sp = string.find(meta, ' ', 1, true)
  redis.call('ZREM', P .. 'topic:' .. string.sub(meta, sp + 1), m)
  redis.call('ZREM', KEYS[2], m)
  redis.call('ZREM', KEYS[3], m)
  redis.call('HDEL', KEYS[4], m)
  redis.call('HDEL', KEYS[5], m)
  return 1
end
`;

const SCRIPTS = {
  // ARGV: prefix, record, publishAt, topic, max, channel -> {id or 0, held count}
  modmqDelayedInsert: `
local held = redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3])
local max = tonumber(ARGV[5])
if max > 0 and held >= max then return {0, held} end
local id = redis.call('INCR', KEYS[1])
local m = string.format('%015d', id)
redis.call('HSET', KEYS[4], m, ARGV[2])
redis.call('HSET', KEYS[5], m, ARGV[3] .. ' ' .. ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], m)
redis.call('ZADD', ARGV[1] .. 'topic:' .. ARGV[4], ARGV[3], m)
redis.call('PUBLISH', ARGV[6], ARGV[3])
return {id, held + 1}`,
  // ARGV: prefix, token, now, limit -> false when the lease is not ours, else {member, record, ...}
  modmqDelayedClaim: `
if redis.call('GET', KEYS[6]) ~= ARGV[2] then return false end
local members = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for _, m in ipairs(members) do
  local meta = redis.call('HGET', KEYS[5], m)
  redis.call('ZREM', KEYS[2], m)
  redis.call('ZADD', KEYS[3], ARGV[3], m)
  if meta then
    local sp = string.find(meta, ' ', 1, true)
    redis.call('ZREM', P .. 'topic:' .. string.sub(meta, sp + 1), m)
  end
  out[#out + 1] = m
  out[#out + 1] = redis.call('HGET', KEYS[4], m) or ''
end
return out`,
  // ARGV: prefix, members... -> claimed ones back in the queue (publishAt and topic from meta)
  modmqDelayedRequeue: `
local n = 0
for i = 2, #ARGV do
  local m = ARGV[i]
  local meta = redis.call('HGET', KEYS[5], m)
  if redis.call('ZREM', KEYS[3], m) == 1 and meta then
    local sp = string.find(meta, ' ', 1, true)
    local at = string.sub(meta, 1, sp - 1)
    redis.call('ZADD', KEYS[2], at, m)
    redis.call('ZADD', P .. 'topic:' .. string.sub(meta, sp + 1), at, m)
    n = n + 1
  end
end
return n`,
  // ARGV: prefix, member -> 1 when it was held (queued or claimed)
  modmqDelayedRemove: `return remove(ARGV[2])`,
  // ARGV: prefix, topic -> how many went
  modmqDelayedRemoveTopic: `
local members = redis.call('ZRANGE', P .. 'topic:' .. ARGV[2], 0, -1)
local n = 0
for _, m in ipairs(members) do n = n + remove(m) end
return n`,
} as const;

type Script = (...args: Array<string | number | Buffer>) => Promise<unknown>;

interface Header {
  t: string;
  q: 0 | 1 | 2;
  r: boolean;
  p?: string;
  c: string | null;
  u: string | null;
  a: number;
  k: number;
}

/** A message's member name: its id, 15 digits, so members sort by id. */
export const member = (id: number): string => String(id).padStart(15, '0');

export function encodeMessage(m: NewDelayedMessage): Buffer {
  const header: Header = { t: m.topic, q: m.qos, r: m.retain, c: m.fromClientId, u: m.fromUsername, a: m.publishAt, k: m.createdAt };
  const properties = encodeProperties(m.properties);
  if (properties !== null) header.p = properties;
  return encodeRecord(JSON.stringify(header), m.payload);
}

export function decodeMessage(memberName: string, record: Buffer): DelayedMessage {
  const { header, payload } = decodeRecord(record);
  const h = JSON.parse(header) as Header;
  return {
    id: Number(memberName), topic: h.t, payload, qos: h.q, retain: h.r, properties: decodeProperties(h.p ?? null),
    fromClientId: h.c, fromUsername: h.u, publishAt: h.a, createdAt: h.k,
  };
}

export class RedisDelayedStore implements DelayedQueue {
  readonly keys: { ids: string; queue: string; inflight: string; msgs: string; meta: string; lease: string; added: string };
  private held = 0;
  private readonly scripts: Record<keyof typeof SCRIPTS, Script>;

  private constructor(
    readonly redis: Redis,
    private readonly prefix: string,
  ) {
    const p = prefix;
    this.keys = { ids: `${p}ids`, queue: `${p}queue`, inflight: `${p}inflight`, msgs: `${p}msgs`, meta: `${p}meta`, lease: `${p}lease`, added: `${p}added` };
    const scripts = {} as Record<keyof typeof SCRIPTS, Script>;
    for (const [name, body] of Object.entries(SCRIPTS) as Array<[keyof typeof SCRIPTS, string]>) {
      redis.defineCommand(name, { numberOfKeys: 6, lua: HEADER + body });
      // Claims return records (binary): the Buffer variant ioredis defines alongside.
      const command = (redis as unknown as Record<string, Script>)[name === 'modmqDelayedClaim' ? `${name}Buffer` : name]!.bind(redis);
      scripts[name] = (...args) => command(...this.keyList(), this.prefix, ...args);
    }
    this.scripts = scripts;
  }

  static async open(cluster: ClusterContext, prefix: string, onError: (error: Error) => void): Promise<RedisDelayedStore> {
    const redis = cluster.connect();
    redis.on('error', onError);
    const store = new RedisDelayedStore(redis, prefix);
    try {
      await store.refreshCount();
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  private keyList(): string[] {
    const k = this.keys;
    return [k.ids, k.queue, k.inflight, k.msgs, k.meta, k.lease];
  }

  count(): number {
    return this.held;
  }

  /** Re-reads the cluster-wide count (held and claimed). */
  async refreshCount(): Promise<number> {
    const replies = ((await this.redis.multi().zcard(this.keys.queue).zcard(this.keys.inflight).exec()) ?? []) as Array<[Error | null, number]>;
    for (const [error] of replies) if (error) throw error;
    this.held = Number(replies[0]?.[1] ?? 0) + Number(replies[1]?.[1] ?? 0);
    return this.held;
  }

  async insert(message: NewDelayedMessage, max: number): Promise<number> {
    const [id, held] = (await this.scripts.modmqDelayedInsert(encodeMessage(message), message.publishAt, message.topic, max, this.keys.added)) as [number, number];
    this.held = held;
    return id;
  }

  /** Claims due messages for the lease holder `token`; none when the lease is not (or no longer) its. */
  async claim(token: string, nowMs: number, limit: number): Promise<DelayedMessage[] | undefined> {
    const reply = (await this.scripts.modmqDelayedClaim(token, nowMs, limit)) as Array<string | Buffer> | null;
    if (reply === null) return undefined;
    const out: DelayedMessage[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const record = reply[i + 1]!;
      if (record.length === 0) continue; // deleted meanwhile
      out.push(decodeMessage(reply[i]!.toString(), Buffer.isBuffer(record) ? record : Buffer.from(record)));
    }
    return out;
  }

  /** Not for the scheduler directly: the lease owner (delayed-owner.ts) claims with its token. */
  async due(): Promise<DelayedMessage[]> {
    throw new Error('claim due messages through the release lease');
  }

  async unclaim(ids: number[]): Promise<void> {
    if (ids.length > 0) await this.scripts.modmqDelayedRequeue(...ids.map(member));
  }

  /** Every claimed message back into the queue (a new owner takes over from a dead one). */
  async requeueAll(): Promise<number> {
    const claimed = await this.redis.zrange(this.keys.inflight, '0', '-1');
    if (claimed.length === 0) return 0;
    return Number(await this.scripts.modmqDelayedRequeue(...claimed));
  }

  async nextDueAt(): Promise<number | undefined> {
    const first = await this.redis.zrange(this.keys.queue, '0', '0', 'WITHSCORES');
    return first.length === 2 ? Number(first[1]) : undefined;
  }

  async get(id: number): Promise<DelayedMessage | undefined> {
    const record = await this.redis.hgetBuffer(this.keys.msgs, member(id));
    return record === null ? undefined : decodeMessage(member(id), record);
  }

  async delete(id: number): Promise<boolean> {
    const removed = Number(await this.scripts.modmqDelayedRemove(member(id))) === 1;
    if (removed) this.held = Math.max(0, this.held - 1);
    return removed;
  }

  async deleteTopic(topic: string): Promise<number> {
    const n = Number(await this.scripts.modmqDelayedRemoveTopic(topic));
    this.held = Math.max(0, this.held - n);
    return n;
  }

  async list(offset: number, limit: number, topic?: string): Promise<{ total: number; items: DelayedMessage[] }> {
    const key = topic === undefined ? this.keys.queue : `${this.prefix}topic:${topic}`;
    const [[, total], [, members]] = ((await this.redis.multi().zcard(key).zrange(key, String(offset), String(offset + limit - 1)).exec()) ?? []) as [
      [Error | null, number],
      [Error | null, string[]],
    ];
    const ids = members ?? [];
    if (ids.length === 0) return { total: Number(total ?? 0), items: [] };
    const records = await this.redis.hmgetBuffer(this.keys.msgs, ...ids);
    const items: DelayedMessage[] = [];
    ids.forEach((m, i) => {
      const record = records[i];
      if (record) items.push(decodeMessage(m, record));
    });
    return { total: Number(total ?? 0), items };
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
