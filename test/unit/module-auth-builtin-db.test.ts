/**
 * auth-builtin-db on the fake broker: the authenticate and authorize hooks with 4.x
 * emqx_auth_mnesia semantics, seeds, live config changes and a failing store. Every test runs
 * twice: on the node's SQLite file and, as in cluster mode, on a real redis-server.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { moduleKeyPrefix, redisClusterContext, type ClusterContext } from '../../src/cluster/cluster-context.js';
import { RedisUserStore } from '../../src/modules/auth-builtin-db/redis-user-store.js';
import type { UserStore } from '../../src/modules/auth-builtin-db/user-store.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';
import type { AuthDecision, ClientInfo } from '../../src/broker/hooks.js';
import { authBuiltinDb, BUILTIN_DB_FILE, type BuiltinDbConfig } from '../../src/modules/auth-builtin-db/index.js';
import type { BuiltinDbService } from '../../src/modules/auth-builtin-db/service.js';
import { SqliteUserStore } from '../../src/modules/auth-builtin-db/sqlite-user-store.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { createFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { moduleContext } from '../helpers/module-context.js';

const config = (over: Partial<BuiltinDbConfig> = {}): BuiltinDbConfig => ({
  password_hash: 'sha256',
  users: [],
  clients: [],
  max_acls_per_login: 0,
  on_backend_error: 'ignore',
  ...over,
});

let dirs: string[] = [];
let redis: RedisServer | undefined;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  await redis?.stop();
});

type Backend = 'sqlite' | 'redis';
/** The cluster a data dir stands for: a restart in the same dir finds the same Redis keys. */
const clusterFor = (backend: Backend, dataDir: string): ClusterContext | undefined =>
  backend === 'redis' ? redisClusterContext(redis!.url, dataDir.slice(-12)) : undefined;

/** The store a stopped module left behind, opened directly. */
async function openStoreOf(backend: Backend, dataDir: string): Promise<UserStore> {
  const cluster = clusterFor(backend, dataDir);
  if (!cluster) return SqliteUserStore.open(join(dataDir, BUILTIN_DB_FILE));
  return RedisUserStore.open(cluster, moduleKeyPrefix(cluster, 'auth-builtin-db'), () => undefined);
}


interface Running {
  fake: FakeBroker;
  instance: ModuleInstance<BuiltinDbConfig>;
  admin: BuiltinDbService;
  dir: string;
}

async function startOn(backend: Backend, cfg: BuiltinDbConfig, dir?: string): Promise<Running> {
  const fake = createFakeBroker();
  fake.hooks.setOrder(['auth-builtin-db', 'next']);
  const dataDir = dir ?? (await mkdtemp(join(tmpdir(), 'modmq-bdb-unit-')));
  if (!dir) dirs.push(dataDir);
  let admin: BuiltinDbService | undefined;
  const ctx = {
    ...moduleContext(fake, 'auth-builtin-db'),
    ...(backend === 'redis' ? { cluster: clusterFor(backend, dataDir)! } : {}),
    dataDir: async () => dataDir,
    expose: (name: string, service: unknown) => {
      assert.equal(name, 'auth-builtin-db');
      admin = service as BuiltinDbService;
      return () => undefined;
    },
  };
  const instance = await authBuiltinDb.create(ctx, cfg);
  assert.ok(admin, 'the module exposes its admin service');
  return { fake, instance, admin, dir: dataDir };
}

const login = (fake: FakeBroker, clientId: string, username: string | undefined, password: string | undefined): Promise<AuthDecision> => {
  const client = fake.connect({ clientId, ...(username !== undefined ? { username } : {}) });
  fake.disconnect(clientId);
  return fake.authenticate({ client, password: password === undefined ? undefined : Buffer.from(password) });
};

const clientInfo = (fake: FakeBroker, clientId: string, username?: string): ClientInfo => {
  const c = fake.connect({ clientId, ...(username !== undefined ? { username } : {}) });
  fake.disconnect(clientId);
  return c;
};

for (const backend of ['sqlite', 'redis'] as const) {
const start = (cfg: BuiltinDbConfig, dir?: string): Promise<Running> => startOn(backend, cfg, dir);

describe(`${backend}: authenticate`, () => {
  let r: Running;
  beforeEach(async () => {
    r = await start(config({ users: [{ username: 'alice', password: 'pw-a' }, { username: 'root', password: 'pw-r', is_superuser: true }], clients: [{ clientid: 'dev-1', password: 'pw-d' }] }));
  });
  afterEach(async () => r.instance.stop());

  test('right password allows, wrong denies 0x86, unknown ignores', async () => {
    assert.deepEqual(await login(r.fake, 'c1', 'alice', 'pw-a'), { result: 'allow', superuser: false });
    const wrong = await login(r.fake, 'c1', 'alice', 'nope');
    assert.equal(wrong.result, 'deny');
    assert.equal(wrong.result === 'deny' && wrong.reasonCode, 0x86);
    assert.deepEqual(await login(r.fake, 'c1', 'bob', 'pw-a'), { result: 'ignore' });
    assert.equal((await login(r.fake, 'c1', 'alice', undefined)).result, 'deny', 'no password is a wrong password');
  });

  test('a user by client id logs in whatever the username; superuser flag carried', async () => {
    assert.deepEqual(await login(r.fake, 'dev-1', undefined, 'pw-d'), { result: 'allow', superuser: false });
    assert.deepEqual(await login(r.fake, 'dev-1', 'someone', 'pw-d'), { result: 'allow', superuser: false });
    assert.deepEqual(await login(r.fake, 'x', 'root', 'pw-r'), { result: 'allow', superuser: true });
  });

  test('client id and username users both found: either password is accepted (4.x)', async () => {
    assert.deepEqual(await login(r.fake, 'dev-1', 'alice', 'pw-a'), { result: 'allow', superuser: false });
    assert.deepEqual(await login(r.fake, 'dev-1', 'alice', 'pw-d'), { result: 'allow', superuser: false });
    assert.equal((await login(r.fake, 'dev-1', 'alice', 'other')).result, 'deny');
  });

  test('unknown user -> the next module of the chain decides', async () => {
    r.fake.hooks.scope('next').authenticate(() => ({ result: 'allow' }));
    assert.deepEqual(await login(r.fake, 'c1', 'bob', 'x'), { result: 'allow' });
    assert.equal((await login(r.fake, 'c1', 'alice', 'x')).result, 'deny', 'a known user with a wrong password stops the chain');
  });

  test('users added through the service log in; removed ones are unknown', async () => {
    await r.admin.addUser({ kind: 'username', id: 'carol', password: 'pw-c', is_superuser: true });
    assert.deepEqual(await login(r.fake, 'c1', 'carol', 'pw-c'), { result: 'allow', superuser: true });
    await r.admin.updateUser('username', 'carol', { password: 'new', is_superuser: false });
    assert.deepEqual(await login(r.fake, 'c1', 'carol', 'new'), { result: 'allow', superuser: false });
    assert.equal((await login(r.fake, 'c1', 'carol', 'pw-c')).result, 'deny');
    await r.admin.removeUser('username', 'carol');
    assert.deepEqual(await login(r.fake, 'c1', 'carol', 'new'), { result: 'ignore' });
  });
});

describe(`${backend}: listing`, () => {
  test('users by kind and case-insensitive substring, paged in kind and id order', async () => {
    const r = await start(config({ users: [{ username: 'Carol', password: 'x' }, { username: 'bob', password: 'x' }], clients: [{ clientid: 'car-1', password: 'x' }] }));
    try {
      const ids = async (q: Parameters<BuiltinDbService['listUsers']>[0]) => (await r.admin.listUsers(q)).items.map((u) => `${u.kind}:${u.id}`);
      assert.deepEqual(await ids({}), ['clientid:car-1', 'username:Carol', 'username:bob']);
      assert.deepEqual(await ids({ like: 'CAR' }), ['clientid:car-1', 'username:Carol']);
      assert.deepEqual(await ids({ kind: 'username', limit: 1, offset: 1 }), ['username:bob']);
      assert.equal((await r.admin.listUsers({ like: '%' })).total, 0, 'LIKE wildcards are plain characters');
    } finally {
      await r.instance.stop();
    }
  });
});

describe(`${backend}: seeds and live config`, () => {
  test('config seeds are inserted only when absent; a restart keeps API changes', async () => {
    const cfg = config({ users: [{ username: 'alice', password: 'seed' }] });
    const first = await start(cfg);
    await first.admin.updateUser('username', 'alice', { password: 'changed' });
    await first.instance.stop();
    const second = await start(cfg, first.dir);
    try {
      assert.equal((await login(second.fake, 'c', 'alice', 'changed')).result, 'allow');
      assert.equal((await login(second.fake, 'c', 'alice', 'seed')).result, 'deny');
    } finally {
      await second.instance.stop();
    }
  });

  test('password_hash change applies to new users; existing ones keep logging in', async () => {
    const r = await start(config({ password_hash: 'sha256' }));
    try {
      await r.admin.addUser({ kind: 'username', id: 'old', password: 'p1' });
      await r.instance.update!(config({ password_hash: 'md5', users: [{ username: 'seeded', password: 'p3' }] }));
      await r.admin.addUser({ kind: 'username', id: 'new', password: 'p2' });
      assert.equal((await r.admin.getUser('username', 'old')).hash_algorithm, 'sha256');
      assert.equal((await r.admin.getUser('username', 'new')).hash_algorithm, 'md5');
      assert.equal((await r.admin.getUser('username', 'seeded')).hash_algorithm, 'md5', 'update seeds new config users');
      assert.equal((await login(r.fake, 'c', 'old', 'p1')).result, 'allow');
      assert.equal((await login(r.fake, 'c', 'new', 'p2')).result, 'allow');
      assert.equal((await login(r.fake, 'c', 'seeded', 'p3')).result, 'allow');
    } finally {
      await r.instance.stop();
    }
  });

  test('stored md5 secret is the 4.x layout: 4 salt bytes then hex(md5(salt + password))', async () => {
    const r = await start(config({ password_hash: 'md5' }));
    await r.admin.addUser({ kind: 'clientid', id: 'd', password: 'secret' });
    await r.instance.stop();
    const store = await openStoreOf(backend, r.dir);
    try {
      const user = await store.getUser('clientid', 'd');
      assert.ok(user);
      assert.equal(user.secret.salt.length, 4);
      const expected = createHash('md5').update(Buffer.concat([user.secret.salt, Buffer.from('secret')])).digest('hex');
      assert.equal(user.secret.hash.toString('latin1'), expected);
    } finally {
      await store.close();
    }
  });
});

describe(`${backend}: authorize`, () => {
  let r: Running;
  beforeEach(async () => {
    r = await start(config());
  });
  afterEach(async () => r.instance.stop());

  test('no rule -> ignore; allow and deny for publish and subscribe', async () => {
    const c = clientInfo(r.fake, 'c1', 'alice');
    assert.deepEqual(await r.fake.authorize(c, 'publish', 't/1'), { result: 'ignore' });
    await r.admin.addAcl({ username: 'alice', topic: 't/#', action: 'pub', permission: 'allow' });
    await r.admin.addAcl({ username: 'alice', topic: 't/#', action: 'sub', permission: 'deny' });
    assert.deepEqual(await r.fake.authorize(c, 'publish', 't/1'), { result: 'allow' });
    assert.deepEqual(await r.fake.authorize(c, 'subscribe', 't/+'), { result: 'deny' });
    assert.deepEqual(await r.fake.authorize(c, 'publish', 'other'), { result: 'ignore' });
  });

  test('rule and user changes through the admin service drop cached ACL answers', async () => {
    const flushes = r.fake.aclFlushes;
    await r.admin.addAcl({ username: 'alice', topic: 'f/#', action: 'pub', permission: 'deny' });
    assert.equal(r.fake.aclFlushes, flushes + 1, 'after addAcl');
    await r.admin.removeAcl({ kind: 'username', id: 'alice', topic: 'f/#' });
    assert.equal(r.fake.aclFlushes, flushes + 2, 'after removeAcl');
    await r.admin.addUser({ kind: 'username', id: 'bob', password: 'pw' });
    await r.admin.updateUser('username', 'bob', { is_superuser: true });
    assert.equal(r.fake.aclFlushes, flushes + 3, 'after a superuser change');
  });

  test('client id rules, then username rules, then all; newest first within a login', async () => {
    const c = clientInfo(r.fake, 'c1', 'alice');
    await r.admin.addAcl({ topic: 'x/#', action: 'pubsub', permission: 'deny' });
    assert.deepEqual(await r.fake.authorize(c, 'publish', 'x/1'), { result: 'deny' });
    await r.admin.addAcl({ username: 'alice', topic: 'x/#', action: 'pub', permission: 'allow' });
    assert.deepEqual(await r.fake.authorize(c, 'publish', 'x/1'), { result: 'allow' }, 'username before all');
    await r.admin.addAcl({ clientid: 'c1', topic: 'x/1', action: 'pub', permission: 'deny' });
    assert.deepEqual(await r.fake.authorize(c, 'publish', 'x/1'), { result: 'deny' }, 'client id before username');
    await r.admin.addAcl({ clientid: 'c1', topic: 'x/+', action: 'pub', permission: 'allow' });
    assert.deepEqual(await r.fake.authorize(c, 'publish', 'x/1'), { result: 'allow' }, 'the newer rule of a login first');
    const other = clientInfo(r.fake, 'c2', undefined);
    assert.deepEqual(await r.fake.authorize(other, 'subscribe', 'x/2'), { result: 'deny' }, 'all applies without a username');
  });

  test('%u and %c stand for the whole level; the same topic and action replaces a rule', async () => {
    await r.admin.addAcl({ topic: 'users/%u/#', action: 'pub', permission: 'allow' });
    await r.admin.addAcl({ topic: 'dev/%c', action: 'sub', permission: 'allow' });
    const alice = clientInfo(r.fake, 'c9', 'alice');
    assert.deepEqual(await r.fake.authorize(alice, 'publish', 'users/alice/x'), { result: 'allow' });
    assert.deepEqual(await r.fake.authorize(alice, 'publish', 'users/bob/x'), { result: 'ignore' });
    assert.deepEqual(await r.fake.authorize(alice, 'subscribe', 'dev/c9'), { result: 'allow' });
    await r.admin.addAcl({ topic: 'dev/%c', action: 'sub', permission: 'deny' });
    assert.deepEqual(await r.fake.authorize(alice, 'subscribe', 'dev/c9'), { result: 'deny' });
    assert.equal((await r.admin.listAcl({ kind: 'all' })).total, 2);
    assert.equal(await r.admin.removeAcl({ kind: 'all', topic: 'dev/%c' }), 1);
    assert.deepEqual(await r.fake.authorize(alice, 'subscribe', 'dev/c9'), { result: 'ignore' });
  });

  test('max_acls_per_login bounds the rules of one login', async () => {
    await r.instance.update!(config({ max_acls_per_login: 2 }));
    await r.admin.addAcl({ username: 'u', topic: 'a', action: 'pubsub', permission: 'allow' });
    await r.admin.addAcl({ username: 'u', topic: 'a', action: 'pub', permission: 'deny' }); // replaces, does not count
    await assert.rejects(r.admin.addAcl({ username: 'u', topic: 'b', action: 'pub', permission: 'allow' }), /max_acls_per_login/);
    await r.admin.addAcl({ username: 'v', topic: 'b', action: 'pub', permission: 'allow' });
  });
});

describe(`${backend}: a failing store`, () => {
  test('ignore or deny as configured, status degraded with the reason', async () => {
    const r = await start(config({ users: [{ username: 'alice', password: 'pw' }] }));
    // Close the database under the module: every lookup now fails.
    const store = (r.admin as unknown as { store: UserStore }).store;
    await store.close();
    assert.deepEqual(await login(r.fake, 'c', 'alice', 'pw'), { result: 'ignore' });
    const health = r.instance.status();
    assert.equal(health.state, 'degraded');
    assert.match(health.state === 'degraded' ? health.reason : '', /builtin-db: user lookup failed/);
    await r.instance.update!(config({ on_backend_error: 'deny' }));
    const denied = await login(r.fake, 'c', 'alice', 'pw');
    assert.equal(denied.result, 'deny');
    assert.equal((await r.fake.authorize(clientInfo(r.fake, 'c', 'alice'), 'publish', 't')).result, 'deny');
    await r.instance.stop();
  });
});
}

/** Polls an async condition (bounded; no timing asserted). */
async function eventually(what: string, predicate: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('redis: two nodes share users and rules', () => {
  test('a user and a rule added on one node apply on the other, whose caches and ACL cache are dropped', async () => {
    const a = await startOn('redis', config());
    const b = await startOn('redis', config(), a.dir);
    try {
      // B looks carol up first: the "unknown" answer is cached there until a change is heard.
      assert.deepEqual(await login(b.fake, 'c1', 'carol', 'pw'), { result: 'ignore' });
      const c = clientInfo(b.fake, 'c1', 'carol');
      assert.deepEqual(await b.fake.authorize(c, 'publish', 'x/1'), { result: 'ignore' });
      const flushes = b.fake.aclFlushes;

      await a.admin.addUser({ kind: 'username', id: 'carol', password: 'pw' });
      await eventually('carol logs in on B', async () => (await login(b.fake, 'c1', 'carol', 'pw')).result === 'allow');
      await a.admin.addAcl({ username: 'carol', topic: 'x/#', action: 'pub', permission: 'deny' });
      await eventually('the rule applies on B', async () => (await b.fake.authorize(c, 'publish', 'x/1')).result === 'deny');
      assert.ok(b.fake.aclFlushes > flushes, "B's broker ACL cache was flushed");
      assert.equal((await b.admin.listAcl({ kind: 'username', id: 'carol' })).total, 1, "B's admin sees A's rule");

      await b.admin.removeUser('username', 'carol');
      await eventually('carol is unknown on A', async () => (await login(a.fake, 'c1', 'carol', 'pw')).result === 'ignore');
    } finally {
      await a.instance.stop();
      await b.instance.stop();
    }
  });

  test('after Redis comes back (here: empty, as without persistence) a node drops its cached answers', async () => {
    const a = await startOn('redis', config({ users: [{ username: 'dora', password: 'pw' }] }));
    try {
      assert.equal((await login(a.fake, 'c1', 'dora', 'pw')).result, 'allow'); // cached now
      const flushes = a.fake.aclFlushes;
      await redis!.restart();
      await eventually('the cached answer is gone', async () => (await login(a.fake, 'c1', 'dora', 'pw').catch(() => undefined))?.result === 'ignore');
      await eventually('the resync flushed the ACL cache', async () => a.fake.aclFlushes > flushes);
    } finally {
      await a.instance.stop();
    }
  });
});
