/**
 * `modmq cluster import-from-sqlite` round trips, through a real redis-server: what a module's
 * SQLite store holds (written by the store itself), copied into Redis by the import, reads back
 * equal through the module's Redis backend: built-in DB users and rules (each login's rules in
 * the same order, ties of createdAt included), retained messages (payload bytes, properties with
 * Buffers, expiry), delayed messages (same ids, due order); delayed messages added to a queue
 * Redis already holds (--force) get new ids and both sets stay.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { redisClusterContext, clusterKeyPrefix } from '../../src/cluster/cluster-context.js';
import { builtinDbCopy, readBuiltinDbFile } from '../../src/modules/auth-builtin-db/redis-import.js';
import { RedisUserStore } from '../../src/modules/auth-builtin-db/redis-user-store.js';
import { SqliteUserStore } from '../../src/modules/auth-builtin-db/sqlite-user-store.js';
import type { AclRule, StoredUser } from '../../src/modules/auth-builtin-db/user-store.js';
import { DelayedStore, type NewDelayedMessage } from '../../src/modules/delayed-publish/delayed-store.js';
import { delayedCopy, readDelayedFile } from '../../src/modules/delayed-publish/redis-import.js';
import { RedisDelayedStore } from '../../src/modules/delayed-publish/redis-delayed-store.js';
import type { RetainedMessage } from '../../src/broker/hooks.js';
import { DiscBackend } from '../../src/modules/retainer/disc-backend.js';
import { RedisBackend } from '../../src/modules/retainer/redis-backend.js';
import { readRetainedFile, retainedCopy } from '../../src/modules/retainer/redis-import.js';
import { makeTempDir, removeTempDir } from '../helpers/node-process.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

let redis: RedisServer;
let client: Redis;
let dir: string;
let run = 0;
before(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  dir = await makeTempDir('modmq-import-prop-');
});
after(async () => {
  await client.quit();
  await redis.stop();
  await removeTempDir(dir);
});

/** A fresh cluster name, data file and key prefix per run: runs never see each other. */
function fresh(module: string, file: string): { name: string; prefix: string; file: string } {
  run++;
  const name = `prop-${run}`;
  return { name, prefix: `${clusterKeyPrefix(name)}m:${module}:`, file: join(dir, `${run}-${file}`) };
}

const byKey = <T extends { kind: string; id: string }>(a: T, b: T): number => (a.kind + '\n' + a.id < b.kind + '\n' + b.id ? -1 : 1);
const idArb = fc.string({ minLength: 1, maxLength: 6 });
const topicArb = fc.array(fc.constantFrom('a', 'b', 'x y', 'ü', '😀', ''), { minLength: 1, maxLength: 3 }).map((l) => l.join('/')).filter((t) => t.length > 0);
const bytes = (max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));

const userArb: fc.Arbitrary<StoredUser> = fc.record({
  kind: fc.constantFrom('username' as const, 'clientid' as const),
  id: idArb,
  secret: fc.record({ algorithm: fc.constantFrom('plain' as const, 'md5' as const, 'sha256' as const), salt: bytes(4), hash: bytes(64) }),
  isSuperuser: fc.boolean(),
  createdAt: fc.integer({ min: 0, max: 2 ** 41 }),
});
const ruleArb: fc.Arbitrary<AclRule> = fc
  .record({
    kind: fc.constantFrom('username' as const, 'clientid' as const, 'all' as const),
    id: fc.constantFrom('u1', 'u2'),
    topic: topicArb,
    action: fc.constantFrom('pub' as const, 'sub' as const),
    permission: fc.constantFrom('allow' as const, 'deny' as const),
    // Few distinct times: ties, which only the order numbers break.
    createdAt: fc.integer({ min: 1, max: 3 }),
  })
  .map((r) => (r.kind === 'all' ? { ...r, id: '' } : r));

const propertiesArb = fc.option(
  fc.record(
    { contentType: fc.string({ maxLength: 5 }), correlationData: bytes(8), userProperties: fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), fc.string({ maxLength: 3 })).map((d) => ({ ...d })) },
    { requiredKeys: [] },
  ).map((p) => ({ ...p })), // plain objects, as JSON gives them back
  { nil: undefined },
);

  const delayedArb: fc.Arbitrary<NewDelayedMessage> = fc.record({
    topic: topicArb,
    payload: bytes(16),
    qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
    retain: fc.boolean(),
    properties: propertiesArb.map((p) => (p !== undefined && Object.keys(p).length > 0 ? p : undefined)),
    fromClientId: fc.option(idArb, { nil: null }),
    fromUsername: fc.option(idArb, { nil: null }),
    publishAt: fc.integer({ min: 1, max: 2 ** 41 }),
    createdAt: fc.integer({ min: 1, max: 2 ** 41 }),
  });

describe('import-from-sqlite round trips (SQLite store -> import -> Redis backend)', () => {
  test('built-in DB users and rules read back equal, each login\'s rules in the same order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(userArb, { maxLength: 8 }), fc.array(ruleArb, { maxLength: 12 }), async (users, rules) => {
        const { name, prefix, file } = fresh('auth-builtin-db', 'builtin-db.sqlite');
        const sqlite = SqliteUserStore.open(file);
        for (const u of users) await sqlite.putUser(u);
        for (const r of rules) await sqlite.putRule(r);
        const want = { users: await sqlite.listUsers({ limit: 1000, offset: 0 }), rules: await sqlite.listRules({ limit: 1000, offset: 0 }) };
        const logins = [...new Set(want.rules.items.map((r) => `${r.kind}\n${r.id}`))].map((l) => l.split('\n') as ['username', string]);
        const wantRulesOf = await Promise.all(logins.map(([k, i]) => sqlite.rulesOf(k, i)));
        await sqlite.close();

        assert.equal(await builtinDbCopy(readBuiltinDbFile(file), prefix).write(client), true);
        const store = await RedisUserStore.open(redisClusterContext(redis.url, name), prefix, () => undefined);
        try {
          const got = await store.listUsers({ limit: 1000, offset: 0 });
          assert.deepEqual([...got.items].sort(byKey), [...want.users.items].sort(byKey));
          assert.equal((await store.listRules({ limit: 1000, offset: 0 })).total, want.rules.total);
          assert.deepEqual(await Promise.all(logins.map(([k, i]) => store.rulesOf(k, i))), wantRulesOf);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  test('retained messages read back equal through the Redis backend (bytes, properties, expiry)', async () => {
    const now = Date.now();
    const messageArb: fc.Arbitrary<RetainedMessage> = fc
      .record({
        topic: topicArb,
        payload: bytes(32),
        qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
        storedAt: fc.integer({ min: 0, max: now }),
        expiresAt: fc.option(fc.integer({ min: now + 60_000, max: now + 10 ** 9 }), { nil: undefined }),
        properties: propertiesArb,
      })
      .map(({ expiresAt, properties, ...m }) => ({ ...m, ...(expiresAt !== undefined ? { expiresAt } : {}), ...(properties !== undefined && Object.keys(properties).length > 0 ? { properties } : {}) }));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(messageArb, { selector: (m) => m.topic, maxLength: 8 }), async (messages) => {
        const { name, prefix, file } = fresh('retainer', 'retained');
        await mkdir(file, { recursive: true });
        const disc = new DiscBackend(file);
        for (const m of messages) disc.put(m);
        disc.close();

        assert.equal(await retainedCopy(readRetainedFile(join(file, 'retained.db'), now), prefix).write(client), true);
        const backend = await RedisBackend.open({
          cluster: redisClusterContext(redis.url, name), prefix, maxMessages: () => 0, onRefusedFull: () => undefined, onError: (e) => assert.fail(String(e)),
        });
        try {
          const sorted = (list: Iterable<RetainedMessage>): RetainedMessage[] => [...list].sort((a, b) => (a.topic < b.topic ? -1 : 1));
          assert.deepEqual(sorted(backend.values()), sorted(messages));
        } finally {
          backend.close();
          await backend.closed();
        }
      }),
      { numRuns: 25 },
    );
  });

  test('delayed messages read back equal, with their ids, in due order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(delayedArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 3 }), async (messages, deletions) => {
        const { name, prefix, file } = fresh('delayed-publish', 'delayed.db');
        const sqlite = DelayedStore.open(file);
        const ids = messages.map((m) => sqlite.insert(m));
        // Gaps in the ids, as deliveries leave them.
        for (const d of deletions) if (ids.length > 0) sqlite.delete(ids[d % ids.length]!);
        const want = sqlite.list(0, 1000);
        sqlite.close();

        assert.equal(await delayedCopy(readDelayedFile(file), prefix).write(client), true);
        const store = await RedisDelayedStore.open(redisClusterContext(redis.url, name), prefix, (e) => assert.fail(String(e)));
        try {
          assert.equal(store.count(), want.total);
          const got = await store.list(0, 1000);
          // Equal publishAt: SQLite orders by id, Redis by member name (the id, 15 digits): the same.
          assert.deepEqual(got, want);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  test('delayed messages added to a queue Redis already holds (--force): both kept, the node\'s under new ids', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(delayedArb, { minLength: 1, maxLength: 5 }), fc.array(delayedArb, { minLength: 1, maxLength: 5 }), async (held, local) => {
        const { name, prefix, file } = fresh('delayed-publish', 'delayed.db');
        const sqlite = DelayedStore.open(file);
        for (const m of local) sqlite.insert(m);
        sqlite.close();
        const store = await RedisDelayedStore.open(redisClusterContext(redis.url, name), prefix, (e) => assert.fail(String(e)));
        try {
          for (const m of held) await store.insert(m, 0);
          assert.equal(await delayedCopy(readDelayedFile(file), prefix).write(client), true);
          const got = (await store.list(0, 1000)).items;
          const content = ({ id: _id, ...m }: { id: number } & NewDelayedMessage): NewDelayedMessage => m;
          const key = (m: NewDelayedMessage): string => JSON.stringify({ ...m, payload: m.payload.toString('hex') });
          assert.deepEqual(got.map((m) => key(content(m))).sort(), [...held, ...local].map(key).sort());
          assert.equal(new Set(got.map((m) => m.id)).size, held.length + local.length, 'ids stay unique');
          // The counter moved past every id: the next message gets a fresh one.
          assert.equal(await store.insert(local[0]!, 0), held.length + local.length + 1);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 20 },
    );
  });
});
