/**
 * `modmq cluster import-from-sqlite`: a single node's built-in DB (users and ACL rules in its
 * SQLite file) into the cluster's Redis, in the layout RedisUserStore reads (redis-user-codec.ts).
 * Rules keep their order: the `order` numbers follow SQLite's rowid, which breaks ties of
 * createdAt on both stores. A user or rule Redis already has under the same key is replaced
 * (only with --force: the importer refuses otherwise).
 */
import type { Redis } from 'ioredis';
import { readSqlite, type ModuleDataCopy } from '../../cluster/module-data-copy.js';
import { builtinDbKeys, encodeUser, loginKey, ruleField, ruleValue } from './redis-user-codec.js';
import type { RuleRow, UserRow } from './sqlite-user-store.js';
import type { AclRule, StoredUser } from './user-store.js';

/** Who the change notice names: no node's token, so every node drops its caches. */
const WRITER = 'import-from-sqlite';

export interface BuiltinDbContent {
  users: StoredUser[];
  /** In the order they were written (rowid). */
  rules: AclRule[];
}

export function readBuiltinDbFile(file: string): BuiltinDbContent {
  return readSqlite(file, 'users', (db) => ({
    users: (db.prepare('SELECT * FROM users ORDER BY kind, id').all() as UserRow[]).map((r) => ({
      kind: r.kind,
      id: r.id,
      secret: { algorithm: r.algorithm, salt: Buffer.from(r.salt), hash: Buffer.from(r.hash) },
      isSuperuser: r.is_superuser === 1,
      createdAt: r.created_at,
    })),
    rules: (db.prepare('SELECT * FROM acl ORDER BY rowid').all() as RuleRow[]).map((r) => ({
      kind: r.kind, id: r.id, topic: r.topic, action: r.action, permission: r.permission, createdAt: r.created_at,
    })),
  }));
}

export function builtinDbCopy(content: BuiltinDbContent, prefix: string): ModuleDataCopy {
  const keys = builtinDbKeys(prefix);
  return {
    counts: { users: content.users.length, rules: content.rules.length },
    async held(redis: Redis): Promise<number> {
      const [users, logins] = await Promise.all([redis.hlen(keys.users), redis.scard(keys.logins)]);
      return users + logins;
    },
    async write(redis: Redis): Promise<boolean> {
      await redis.watch(keys.order);
      const base = Number((await redis.get(keys.order)) ?? '0');
      const tx = redis.multi();
      for (const user of content.users) tx.hset(keys.users, loginKey(user.kind, user.id), encodeUser(user));
      content.rules.forEach((rule, i) => {
        tx.hset(keys.acl(rule.kind, rule.id), ruleField(rule.action, rule.topic), ruleValue(rule, base + i + 1));
        tx.sadd(keys.logins, loginKey(rule.kind, rule.id));
      });
      tx.set(keys.order, String(base + content.rules.length)).publish(keys.changed, WRITER);
      return (await tx.exec()) !== null;
    },
  };
}
