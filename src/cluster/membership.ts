/**
 * Cluster membership on Redis: every node announces itself under `${keyPrefix}nodes:<name>` with a
 * TTL and refreshes it on every heartbeat, so a node that dies (kill -9, lost host) disappears when
 * its key expires: within `ttlMs` (default 5 heartbeats). A clean stop deletes the entry at once.
 * The set `${keyPrefix}nodes` indexes the names; listing prunes names whose key has expired.
 *
 * While Redis is down the heartbeat keeps trying (logged once per outage); the first heartbeat
 * after the connection is back registers the node again.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface NodeAnnouncement {
  name: string;
  version: string;
  /** ISO 8601. */
  startedAt: string;
  /** Where this node's management API listens. */
  api: { host: string; port: number };
  /** Its bound MQTT listeners. */
  listeners: Array<{ name: string; kind: string; host: string; port: number }>;
}

/** What Redis holds for a live node. */
export interface MemberRecord extends NodeAnnouncement {
  /** ISO 8601 time of the last heartbeat. */
  lastSeen: string;
  /** Random per process: tells two processes that claim one name apart. */
  instance: string;
}

/** The part of a pino logger membership uses. */
export interface ClusterLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface MembershipOptions {
  redis: Redis;
  keyPrefix: string;
  self: NodeAnnouncement;
  heartbeatMs: number;
  /** Default 5 × heartbeatMs. */
  ttlMs?: number;
  log: ClusterLog;
  /** Runs after each heartbeat's own write (node status piggybacks on it). Its failures are its own. */
  onBeat?: () => Promise<void>;
}

export const membersSetKey = (keyPrefix: string): string => `${keyPrefix}nodes`;
export const memberKey = (keyPrefix: string, name: string): string => `${keyPrefix}nodes:${name}`;

export class Membership {
  readonly ttlMs: number;
  private readonly instance = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private down = false;
  private stopped = false;
  private warnedDuplicate = false;
  /** True after the first successful write: from then on, any other instance in our key is a duplicate. */
  private registered = false;

  constructor(private readonly options: MembershipOptions) {
    this.ttlMs = options.ttlMs ?? options.heartbeatMs * 5;
  }

  /** Registers this node (errors are logged, not thrown: the node serves without Redis) and starts beating. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.heartbeatMs);
    this.timer.unref();
  }

  /** Stops the heartbeat and removes this node's entry, so others stop listing it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    const { redis, keyPrefix, self } = this.options;
    try {
      await redis.multi().del(memberKey(keyPrefix, self.name)).srem(membersSetKey(keyPrefix), self.name).exec();
    } catch (err) {
      // Redis down: the entry expires by itself within the TTL.
      this.options.log.warn({ err: (err as Error).message }, 'membership: could not remove this node; it expires by TTL');
    }
  }

  /** One heartbeat at a time; a slow Redis never piles them up. */
  beat(): Promise<void> {
    if (this.beating || this.stopped) return this.beating ?? Promise.resolve();
    this.beating = this.beatOnce().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const { redis, keyPrefix, self, log } = this.options;
    const key = memberKey(keyPrefix, self.name);
    const record: MemberRecord = { ...self, lastSeen: new Date().toISOString(), instance: this.instance };
    try {
      // GET first: the old value tells us whether another process claims our name.
      const [previous] = (await redis
        .multi()
        .get(key)
        .set(key, JSON.stringify(record), 'PX', this.ttlMs)
        .sadd(membersSetKey(keyPrefix), self.name)
        .exec()) as Array<[Error | null, unknown]>;
      if (this.registered) this.noticeDuplicate(previous?.[1]);
      this.registered = true;
      if (this.down) log.info({}, 'membership: Redis is back; this node is registered again');
      this.down = false;
    } catch (err) {
      if (!this.down) log.warn({ err: (err as Error).message }, 'membership: heartbeat failed (Redis down?); retrying');
      this.down = true;
      return;
    }
    if (this.options.onBeat && !this.stopped) await this.options.onBeat().catch(() => undefined);
  }

  private noticeDuplicate(previous: unknown): void {
    if (typeof previous !== 'string' || this.warnedDuplicate) return;
    try {
      const other = JSON.parse(previous) as Partial<MemberRecord>;
      // A restart's first beat finds its predecessor's record: only later beats can see a duplicate.
      if (other.instance !== undefined && other.instance !== this.instance) {
        this.warnedDuplicate = true;
        this.options.log.warn(
          { other: other.api },
          `membership: another process announced node name ${this.options.self.name} (node names must be unique in a cluster)`,
        );
      }
    } catch {
      // Not ours to judge: overwritten by this heartbeat.
    }
  }
}

/** Every live node's record, by name; names whose key expired are pruned from the index. */
export async function listMembers(redis: Redis, keyPrefix: string): Promise<MemberRecord[]> {
  const names = (await redis.smembers(membersSetKey(keyPrefix))).sort();
  if (names.length === 0) return [];
  const values = await redis.mget(...names.map((n) => memberKey(keyPrefix, n)));
  const live: MemberRecord[] = [];
  const dead: string[] = [];
  values.forEach((value, i) => {
    if (value === null) dead.push(names[i]!);
    else live.push(JSON.parse(value) as MemberRecord);
  });
  // A node that re-registers right now adds itself again on its next heartbeat.
  if (dead.length > 0) await redis.srem(membersSetKey(keyPrefix), ...dead).catch(() => undefined);
  return live;
}
