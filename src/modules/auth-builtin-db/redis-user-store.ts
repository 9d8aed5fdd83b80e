/**
 * Users and ACL rules in the cluster's Redis (cluster mode), same semantics as the SQLite store;
 * the key layout is in redis-user-codec.ts.
 *
 * Lookups on the CONNECT path are cached per node; every change publishes on `changed` and every
 * node drops its cache (and its broker's ACL cache) when it hears it. A result read while a change
 * happened is not cached, and nothing is cached while the feed is down (notices could be missed).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ChangeFeed } from '../../cluster/change-feed.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { decodeRules, decodeUser, encodeUser, loginKey as login, splitLogin, type OrderedRule } from './redis-user-codec.js';
import type { AclKind, AclQuery, AclRule, AclRuleAction, StoredUser, UserKind, UserQuery, UserStore } from './user-store.js';

const CACHE_LIMIT = 10_000;

const PUT_RULE = `
local order = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. order)
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return order`;

/** SQLite's LIKE ignores the case of ASCII letters only; so does the Redis listing. */
const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

const plain = ({ order: _order, ...rule }: OrderedRule): AclRule => rule;

export class RedisUserStore implements UserStore {
  readonly remote = true;
  private readonly users: string;
  private readonly logins: string;
  private readonly order: string;
  private readonly channel: string;
  /** Who wrote a change: our own notices are not "remote" changes. */
  private readonly token = randomUUID();
  private readonly userCache = new Map<string, StoredUser | null>();
  private readonly ruleCache = new Map<string, AclRule[]>();
  /** Bumped on every invalidation; a read that saw it change is not cached. */
  private generation = 0;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly feed: ChangeFeed,
    private readonly prefix: string,
  ) {
    this.users = `${prefix}users`;
    this.logins = `${prefix}logins`;
    this.order = `${prefix}order`;
    this.channel = `${prefix}changed`;
    redis.defineCommand('modmqPutRule', { numberOfKeys: 3, lua: PUT_RULE });
  }

  /**
   * Connects (two connections: commands and the change feed). `onRemoteChange` runs when another
   * node changed users or rules, or after the feed reconnected (changes may have been missed).
   */
  static async open(cluster: ClusterContext, prefix: string, onRemoteChange: () => void, onError?: (error: Error) => void): Promise<RedisUserStore> {
    const redis = cluster.connect();
    redis.on('error', (error: Error) => onError?.(error));
    let store: RedisUserStore | undefined;
    const feed = new ChangeFeed({
      cluster,
      channel: `${prefix}changed`,
      onMessage: (message) => {
        if (!store || message.toString() === store.token) return;
        store.invalidate();
        onRemoteChange();
      },
      onResync: () => {
        store?.invalidate();
        onRemoteChange();
      },
      ...(onError ? { onError } : {}),
    });
    store = new RedisUserStore(redis, feed, prefix);
    try {
      await feed.start();
      await redis.ping();
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  private invalidate(): void {
    this.generation++;
    this.userCache.clear();
    this.ruleCache.clear();
  }

  private cacheable(generation: number): boolean {
    return this.feed.live && generation === this.generation && !this.closed;
  }

  private check(): void {
    if (this.closed) throw new Error('the built-in DB store is closed');
  }

  /** After a write: drop local caches and tell the other nodes. */
  private async changed(): Promise<void> {
    this.invalidate();
    await this.redis.publish(this.channel, this.token);
  }

  async getUser(kind: UserKind, id: string): Promise<StoredUser | undefined> {
    this.check();
    const key = login(kind, id);
    // While the feed is down a change could go unheard: the cache is not trusted then.
    const cached = this.feed.live ? this.userCache.get(key) : undefined;
    if (cached !== undefined) return cached ?? undefined;
    const generation = this.generation;
    const text = await this.redis.hget(this.users, key);
    const user = text === null ? undefined : decodeUser(kind, id, text);
    if (this.cacheable(generation)) {
      if (this.userCache.size >= CACHE_LIMIT) this.userCache.clear();
      this.userCache.set(key, user ?? null);
    }
    return user;
  }

  async putUser(user: StoredUser, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    this.check();
    const key = login(user.kind, user.id);
    if (options.ifAbsent) {
      const added = (await this.redis.hsetnx(this.users, key, encodeUser(user))) === 1;
      if (added) await this.changed();
      return added;
    }
    await this.redis.hset(this.users, key, encodeUser(user));
    await this.changed();
    return true;
  }

  async deleteUser(kind: UserKind, id: string): Promise<boolean> {
    this.check();
    const removed = (await this.redis.hdel(this.users, login(kind, id))) > 0;
    if (removed) await this.changed();
    return removed;
  }

  async listUsers(query: UserQuery): Promise<{ items: StoredUser[]; total: number }> {
    this.check();
    // Admin listing: reads the whole hash (users are few compared with what a CONNECT costs).
    const all = await this.redis.hgetall(this.users);
    const like = query.like ? asciiLower(query.like) : undefined;
    const items: StoredUser[] = [];
    for (const [key, text] of Object.entries(all)) {
      const [kind, id] = splitLogin(key);
      if (query.kind && kind !== query.kind) continue;
      if (like !== undefined && !asciiLower(id).includes(like)) continue;
      items.push(decodeUser(kind as UserKind, id, text));
    }
    items.sort((a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { items: items.slice(query.offset, query.offset + query.limit), total: items.length };
  }

  async rulesOf(kind: AclKind, id: string): Promise<AclRule[]> {
    this.check();
    const key = login(kind, id);
    const cached = this.feed.live ? this.ruleCache.get(key) : undefined;
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const rules = decodeRules(kind, id, await this.redis.hgetall(`${this.prefix}acl:${key}`)).map(plain);
    if (this.cacheable(generation)) {
      if (this.ruleCache.size >= CACHE_LIMIT) this.ruleCache.clear();
      this.ruleCache.set(key, rules);
    }
    return rules;
  }

  async putRule(rule: AclRule): Promise<void> {
    this.check();
    const key = login(rule.kind, rule.id);
    await (this.redis as unknown as { modmqPutRule(...args: string[]): Promise<number> }).modmqPutRule(
      `${this.prefix}acl:${key}`, this.logins, this.order,
      `${rule.action}\n${rule.topic}`, `${rule.permission} ${rule.createdAt}`, key, this.channel, this.token,
    );
    this.invalidate();
  }

  async deleteRules(kind: AclKind, id: string, topic: string, action?: AclRuleAction): Promise<number> {
    this.check();
    const fields = (action ? [action] : (['pub', 'sub'] as const)).map((a) => `${a}\n${topic}`);
    const removed = await this.redis.hdel(`${this.prefix}acl:${login(kind, id)}`, ...fields);
    if (removed > 0) await this.changed();
    return removed;
  }

  async listRules(query: AclQuery): Promise<{ items: AclRule[]; total: number }> {
    this.check();
    let members = await this.redis.smembers(this.logins);
    if (query.kind) members = members.filter((m) => m.startsWith(`${query.kind}\n`));
    if (query.id !== undefined) members = members.filter((m) => splitLogin(m)[1] === query.id);
    members.sort((a, b) => {
      const [ka, ia] = splitLogin(a);
      const [kb, ib] = splitLogin(b);
      return ka < kb ? -1 : ka > kb ? 1 : ia < ib ? -1 : ia > ib ? 1 : 0;
    });
    const pipeline = this.redis.pipeline();
    for (const m of members) pipeline.hgetall(`${this.prefix}acl:${m}`);
    const replies = (await pipeline.exec()) ?? [];
    const items: AclRule[] = [];
    members.forEach((m, i) => {
      const [error, hash] = replies[i] ?? [null, {}];
      if (error) throw error;
      const [kind, id] = splitLogin(m);
      items.push(...decodeRules(kind as AclKind, id, hash as Record<string, string>).map(plain));
    });
    return { items: items.slice(query.offset, query.offset + query.limit), total: items.length };
  }

  async countRules(kind: AclKind, id: string): Promise<number> {
    this.check();
    return this.redis.hlen(`${this.prefix}acl:${login(kind, id)}`);
  }

  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.invalidate();
    await this.feed.close();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
