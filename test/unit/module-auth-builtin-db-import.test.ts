/**
 * 4.x secrets and bulk import: the emqx_auth_mnesia hash layout (computed here from the documented
 * algorithm, not with the module's code), the three import shapes, and round-trip properties.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { parseImport } from '../../src/modules/auth-builtin-db/import-formats.js';
import {
  decodeExportedPassword,
  fromLegacyBytes,
  guessAlgorithm,
  legacyBytes,
  makeSecret,
  verifySecret,
  type HashAlgorithm,
} from '../../src/modules/auth-builtin-db/secret.js';
import { BuiltinDbService } from '../../src/modules/auth-builtin-db/service.js';
import { SqliteUserStore } from '../../src/modules/auth-builtin-db/sqlite-user-store.js';
import type { BuiltinDbConfig } from '../../src/modules/auth-builtin-db/config.js';
import { RedisUserStore } from '../../src/modules/auth-builtin-db/redis-user-store.js';
import type { UserStore } from '../../src/modules/auth-builtin-db/user-store.js';
import { moduleKeyPrefix, redisClusterContext } from '../../src/cluster/cluster-context.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

const NODE: Record<string, string> = { md5: 'md5', sha: 'sha1', sha256: 'sha256', sha512: 'sha512' };

/** What EMQX 4.3/4.4 stored and exported (base64): salt(4) ++ hex(hash(salt ++ password)); plain: salt ++ salt ++ password. */
function emqx4Export(alg: HashAlgorithm, password: string, salt = randomBytes(4)): string {
  const data = Buffer.concat([salt, Buffer.from(password, 'utf8')]);
  const hash = alg === 'plain' ? data : Buffer.from(createHash(NODE[alg]!).update(data).digest('hex'), 'latin1');
  return Buffer.concat([salt, hash]).toString('base64');
}

const cfg = (over: Partial<BuiltinDbConfig> = {}): BuiltinDbConfig => ({
  password_hash: 'sha256', users: [], clients: [], max_acls_per_login: 0, on_backend_error: 'ignore', ...over,
});

let redis: RedisServer | undefined;
before(async () => {
  redis = await startRedis();
});
after(async () => redis?.stop());

/** A fresh store of either backend (a new cluster name: empty Redis keys). */
async function openStore(backend: 'sqlite' | 'redis'): Promise<UserStore> {
  if (backend === 'sqlite') return SqliteUserStore.open(':memory:');
  const cluster = redisClusterContext(redis!.url, randomUUID().slice(0, 8));
  return RedisUserStore.open(cluster, moduleKeyPrefix(cluster, 'auth-builtin-db'), () => undefined);
}

async function withService(
  backend: 'sqlite' | 'redis',
  body: (s: BuiltinDbService, store: UserStore) => Promise<void>,
  over: Partial<BuiltinDbConfig> = {},
): Promise<void> {
  const store = await openStore(backend);
  try {
    await body(new BuiltinDbService(store, () => cfg(over)), store);
  } finally {
    await store.close();
  }
}

async function check(store: UserStore, kind: 'username' | 'clientid', id: string, password: string): Promise<boolean> {
  const user = await store.getUser(kind, id);
  assert.ok(user, `${kind} ${id} stored`);
  return verifySecret(user.secret, Buffer.from(password));
}

describe('4.x secrets', () => {
  test('every algorithm: an exported secret verifies its password and no other', () => {
    for (const alg of ['plain', 'md5', 'sha', 'sha256', 'sha512'] as const) {
      const secret = fromLegacyBytes(alg, decodeExportedPassword(emqx4Export(alg, 'pässword')));
      assert.equal(verifySecret(secret, Buffer.from('pässword')), true, alg);
      assert.equal(verifySecret(secret, Buffer.from('password')), false, alg);
      if (alg !== 'plain') assert.equal(guessAlgorithm(decodeExportedPassword(emqx4Export(alg, 'x'))), alg);
    }
  });

  test('unsalted secrets of old releases (one hex digest) verify too', () => {
    const hex = Buffer.from(createHash('sha256').update('old').digest('hex'), 'latin1');
    assert.equal(guessAlgorithm(hex), 'sha256');
    assert.equal(verifySecret(fromLegacyBytes('sha256', hex), Buffer.from('old')), true);
  });

  test('a secret that is not the algorithm it claims is refused', () => {
    assert.throws(() => fromLegacyBytes('sha256', Buffer.from('short')), /sha256/);
    assert.throws(() => fromLegacyBytes('md5', Buffer.alloc(2)), /at least 4 bytes/);
  });

  test('property: make -> 4.x bytes -> parse verifies the same password', () => {
    fc.assert(
      fc.property(fc.constantFrom<HashAlgorithm>('plain', 'md5', 'sha', 'sha256', 'sha512'), fc.string(), fc.string(), (alg, pw, other) => {
        const back = fromLegacyBytes(alg, decodeExportedPassword(legacyBytes(makeSecret(alg, pw)).toString('base64')));
        assert.equal(verifySecret(back, Buffer.from(pw, 'utf8')), true);
        if (other !== pw) assert.equal(verifySecret(back, Buffer.from(other, 'utf8')), false);
      }),
    );
  });
});

for (const backend of ['sqlite', 'redis'] as const) {
describe(`import shapes on ${backend}`, () => {
  test('an EMQX 4.4 export: auth_mnesia users log in with their plain passwords, acl_mnesia rows stored', async () => {
    await withService(backend, async (s, store) => {
      const body = {
        version: '4.4',
        modules: [],
        auth_mnesia: [
          { login: 'cid1', type: 'clientid', password: emqx4Export('sha256', 'p1'), created_at: 1728915837583 },
          { login: 'user1', type: 'username', password: emqx4Export('sha512', 'p2'), is_superuser: true },
        ],
        acl_mnesia: [
          { type: 'clientid', type_value: 'cid1', topic: 't/1', action: 'pub', access: 'allow', created_at: 1 },
          { type: 'all', topic: '%c/%u', action: 'pubsub', access: 'deny' },
        ],
      };
      const report = await s.importData(body);
      assert.deepEqual(report.users, { inserted: 2, replaced: 0, skipped: 0, failed: 0 });
      assert.deepEqual(report.acl, { inserted: 2, failed: 0 });
      assert.equal(await check(store, 'clientid', 'cid1', 'p1'), true);
      assert.equal(await check(store, 'username', 'user1', 'p2'), true);
      assert.equal((await store.getUser('username', 'user1'))?.isSuperuser, true);
      assert.equal((await store.getUser('username', 'user1'))?.secret.algorithm, 'sha512', 'algorithm guessed from the length');
      assert.equal((await s.listAcl()).total, 3, 'pubsub stored as pub + sub');
      const again = await s.importData(body);
      assert.deepEqual(again.users, { inserted: 0, replaced: 0, skipped: 2, failed: 0 }, 'existing users kept');
      const over = await s.importData(body, { overwrite: true });
      assert.equal(over.users.replaced, 2);
    });
  });

  test("the migrator's builtin-db-users.json", async () => {
    await withService(backend, async (s, store) => {
      const report = await s.importData({
        version: 1,
        source: 'emqx-ee-export',
        users: [{ login: 'm', type: 'username', password: emqx4Export('md5', 'pm'), createdAt: 5, location: { file: 'x', line: 1 } }],
        acl: [{ type: 'username', typeValue: 'm', topic: 'a/#', action: 'sub', access: 'allow', location: { file: 'x', line: 2 } }],
      });
      assert.deepEqual(report.problems, []);
      assert.equal(await check(store, 'username', 'm', 'pm'), true);
      const acl = await s.listAcl({ kind: 'username', id: 'm' });
      assert.deepEqual(acl.items.map((r) => [r.username, r.topic, r.action, r.permission]), [['m', 'a/#', 'sub', 'allow']]);
    });
  });

  test('ours (plain-text passwords) and bare arrays; 4.2 users without type take `as`', async () => {
    await withService(backend, async (s, store) => {
      await s.importData({
        users: [{ username: 'a', password: 'pa', is_superuser: true }],
        clients: [{ clientid: 'c', password: 'pc' }],
        acl: [{ clientid: 'c', topic: 'x', action: 'pub', permission: 'deny' }],
      });
      assert.equal(await check(store, 'username', 'a', 'pa'), true);
      assert.equal(await check(store, 'clientid', 'c', 'pc'), true);
      assert.equal((await store.getUser('clientid', 'c'))?.secret.algorithm, 'sha256', 'hashed with the module password_hash');
      await s.importData([{ login: 'old', password: emqx4Export('sha256', 'po') }], { as: 'clientid' });
      assert.equal(await check(store, 'clientid', 'old', 'po'), true);
      await s.importData([{ type: 'all', topic: 'y', action: 'sub', access: 'allow' }]);
      assert.equal((await s.listAcl({ kind: 'all' })).total, 1);
    });
  });

  test('bad entries are problems with pointers; the good ones still import', async () => {
    await withService(backend, async (s) => {
      const report = await s.importData({
        users: [{ username: 'ok', password: 'p' }, { username: 'x' }, { username: 'a', clientid: 'b', password: 'p' }, { login: 'bad', password: 'AAAA', type: 'username' }],
        acl: [{ topic: 't', action: 'both', permission: 'allow' }],
      }, { password_hash: 'sha256' });
      assert.equal(report.users.inserted, 1);
      assert.equal(report.users.failed, 3);
      assert.equal(report.acl.failed, 1);
      assert.deepEqual(report.problems.map((p) => p.pointer).sort(), ['/acl/0', '/users/1', '/users/2', '/users/3']);
      await assert.rejects(s.importData({ nothing: [] }), /nothing importable/);
    });
  });
});
}

describe('import parsing', () => {
  test('property: parseImport never throws and accounts for every entry', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.anything(), fc.record({ username: fc.string(), password: fc.string() }), fc.record({ topic: fc.string(), action: fc.constantFrom('pub', 'sub', 'x'), permission: fc.constantFrom('allow', 'deny') }))), (items) => {
        const parsed = parseImport({ users: items.filter((_, i) => i % 2 === 0), acl: items.filter((_, i) => i % 2 === 1) });
        assert.equal(parsed.users.length + parsed.rules.length + parsed.problems.length, items.length);
      }),
    );
  });
});
