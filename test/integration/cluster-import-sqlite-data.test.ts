/**
 * `modmq cluster import-from-sqlite` moves the modules' node-local data too, and validates what
 * it imports. A real single node collects built-in DB users and rules, disc retained messages and
 * a delayed message; after the import a cluster node on that Redis lets the user in (and not with
 * a wrong password), applies the rule, and delivers the retained message to a new subscriber.
 * An invalid document is refused with its module and pointer and Redis stays empty; module data
 * already in Redis refuses the import unless --force; a retainer on ram has nothing to move.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import mqtt, { type IClientOptions } from 'mqtt';
import { runCli } from '../../src/cli/program.js';
import { SqliteUserStore } from '../../src/modules/auth-builtin-db/sqlite-user-store.js';
import { makeSecret } from '../../src/modules/auth-builtin-db/secret.js';
import { DiscBackend } from '../../src/modules/retainer/disc-backend.js';
import { openNodeDatabase } from '../../src/store/node-database.js';
import { emptyDocument, type ClusterDocument, type ModuleRecord } from '../../src/store/cluster-document.js';
import { clusterNodeConfig } from '../helpers/cluster.js';
import { subscribeGranted } from '../helpers/mqtt-harness.js';
import { defaultConfig, makeTempDir, nextMessage, removeTempDir, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';
import { captureIo } from '../helpers/capture-io.js';

let redis: RedisServer;
let client: Redis;
let dir: string;
before(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  dir = await makeTempDir('modmq-import-data-');
});
after(async () => {
  await client.quit();
  await redis.stop();
  await removeTempDir(dir);
});

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const io = captureIo(dir);
  const code = await runCli(argv, io);
  return { code, out: io.lines, err: io.errors };
}

const clusterKeys = (name: string): Promise<string[]> => client.keys(`modmq:{${name}}:*`);

/** CONNACK result of a login on `node`: 0 = accepted, else the reason code. */
async function connackCode(node: NodeProcess, options: IClientOptions): Promise<number> {
  const c = mqtt.connect({ host: '127.0.0.1', port: node.mqtt.port, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 5, ...options });
  try {
    return await new Promise<number>((resolve, reject) => {
      c.once('connect', () => resolve(0));
      c.once('error', (err: Error & { code?: number }) => (typeof err.code === 'number' ? resolve(err.code) : reject(err)));
      c.once('close', () => reject(new Error('closed without CONNACK')));
    });
  } finally {
    await c.endAsync(true);
  }
}

const record = (type: string, config: Record<string, unknown>): ModuleRecord => ({ id: type, type, schemaVersion: 1, enabled: true, config });

/** A node data dir whose store holds `documents` (one revision each; not validated: the import must). */
async function dataDirWith(name: string, documents: ClusterDocument[]): Promise<string> {
  const dataDir = join(dir, name);
  await mkdir(dataDir, { recursive: true });
  const database = openNodeDatabase(dataDir);
  try {
    for (const document of documents) await database.store.commit({ document, author: 'test', summary: 'seed' });
  } finally {
    await database.close();
  }
  return dataDir;
}

function documentWith(...modules: ModuleRecord[]): ClusterDocument {
  const document = emptyDocument();
  document.modules.push(...modules);
  return document;
}

/** Two users and a rule in the module's SQLite file, where the node keeps them. */
async function seedBuiltinDb(dataDir: string): Promise<void> {
  const moduleDir = join(dataDir, 'modules', 'auth-builtin-db');
  await mkdir(moduleDir, { recursive: true });
  const store = SqliteUserStore.open(join(moduleDir, 'builtin-db.sqlite'));
  await store.putUser({ kind: 'username', id: 'u1', secret: makeSecret('sha256', 'p1'), isSuperuser: false, createdAt: 1 });
  await store.putUser({ kind: 'clientid', id: 'c1', secret: makeSecret('sha256', 'p2'), isSuperuser: true, createdAt: 2 });
  await store.putRule({ kind: 'username', id: 'u1', topic: 'a/#', action: 'pub', permission: 'deny', createdAt: 3 });
  await store.close();
}

describe('modmq cluster import-from-sqlite: module data and validation', () => {
  test('a real node\'s users, rules, retained and delayed messages move; a cluster node serves them over MQTT', async () => {
    const single = await startNodeProcess({ config: defaultConfig('solo@127.0.0.1') });
    try {
      // A new node runs the retainer (on ram): switch it to disc, add the other two.
      await single.json('PUT', '/modules/retainer?wait=true', { config: { storage_type: 'disc' } });
      await single.json('POST', '/modules?wait=true', { type: 'auth-builtin-db', config: { password_hash: 'sha256' } });
      await single.json('POST', '/modules?wait=true', { type: 'delayed-publish', config: { max_delayed_messages: 0 } });
      await single.json('POST', '/auth/builtin-db/users', { username: 'moved-user', password: 'moved-pw' });
      await single.json('POST', '/auth/builtin-db/acl', { username: 'moved-user', topic: 'locked/#', action: 'sub', permission: 'deny' });
      const pub = await single.connect({ clientId: 'seed-pub', username: 'moved-user', password: 'moved-pw' });
      await pub.publishAsync('kept/one', 'first', { qos: 1, retain: true });
      await pub.publishAsync('kept/two', Buffer.from([0, 1, 2, 255]), { qos: 0, retain: true });
      await pub.publishAsync('$delayed/3600/later/x', 'in an hour', { qos: 1 });
      await pub.endAsync();
      assert.equal((await single.json<{ total: number }>('GET', '/delayed')).total, 1);
      // SIGTERM: the retainer flushes its write-behind to retained.db.
      assert.equal((await single.stop()).code, 0);

      const imported = await single.cli(['cluster', 'import-from-sqlite', '-c', 'modmq.conf', '--url', redis.url, '--name', 'data', '--json']);
      assert.equal(imported.code, 0, imported.stderr);
      const result = JSON.parse(imported.stdout) as { ok: boolean; mode: string; modules: Array<{ id: string; outcome: string; counts: Record<string, number> }> };
      assert.equal(result.ok, true);
      assert.equal(result.mode, 'history');
      assert.deepEqual(
        result.modules.map((m) => [m.id, m.outcome, m.counts]),
        [
          ['retainer', 'copied', { messages: 2, expired_skipped: 0, sys_skipped: 3 }],
          ['auth-builtin-db', 'copied', { users: 1, rules: 1 }],
          ['delayed-publish', 'copied', { messages: 1 }],
        ],
      );
    } finally {
      await single.close();
    }

    const clustered = await startNodeProcess({ config: clusterNodeConfig(1, redis.url, 'data') });
    try {
      await clustered.waitApplied();
      assert.equal(await connackCode(clustered, { clientId: 'in-1', username: 'moved-user', password: 'moved-pw' }), 0);
      assert.equal(await connackCode(clustered, { clientId: 'in-2', username: 'moved-user', password: 'wrong' }), 0x86, 'the imported user is known');

      const sub = await clustered.connect({ clientId: 'in-3', username: 'moved-user', password: 'moved-pw', protocolVersion: 5 });
      const got = nextMessage(sub, (t) => t === 'kept/one');
      const granted = await subscribeGranted(sub, { 'kept/+': { qos: 1 }, 'locked/x': { qos: 0 } });
      assert.deepEqual(granted, { 'kept/+': 1, 'locked/x': 0x87 }, 'the imported rule denies the subscribe');
      assert.deepEqual(await got, { topic: 'kept/one', payload: 'first', retain: true, qos: 1 });
      const two = await clustered.json<{ payload: string; qos: number }>('GET', '/retainer/messages/kept%2Ftwo');
      assert.deepEqual([Buffer.from(two.payload, 'base64'), two.qos], [Buffer.from([0, 1, 2, 255]), 0], 'binary payload kept byte for byte');

      const delayed = await clustered.json<{ total: number; messages: Array<{ topic: string }> }>('GET', '/delayed');
      assert.equal(delayed.total, 1);
      assert.equal(delayed.messages[0]?.topic, 'later/x');
    } finally {
      await clustered.close();
    }
  });

  test('an invalid document is refused with its module and pointer; Redis stays empty', async () => {
    const bad = documentWith(record('auth-builtin-db', { password_hash: 'rot13' }));
    const dataDir = await dataDirWith('invalid', [bad]);
    await seedBuiltinDb(dataDir);

    const text = await run(['cluster', 'import-from-sqlite', '--data-dir', dataDir, '--url', redis.url, '--name', 'bad']);
    assert.equal(text.code, 1);
    assert.match(text.err[0]!, /^import-from-sqlite: .*modmq\.db: revision\(s\) 1 not a valid cluster document; nothing imported$/);
    assert.match(text.err[1]!, /^import-from-sqlite: revision 1: module auth-builtin-db: \/modules\/0\/config\/password_hash: .* \[enum\]$/);

    const json = await run(['cluster', 'import-from-sqlite', '--data-dir', dataDir, '--url', redis.url, '--name', 'bad', '--json']);
    assert.equal(json.code, 1);
    const answer = JSON.parse(json.out.join('\n')) as { ok: boolean; problems: Array<Record<string, unknown>> };
    assert.equal(answer.ok, false);
    assert.deepEqual(
      answer.problems.map((p) => [p.revision, p.module, p.pointer, p.keyword]),
      [[1, 'auth-builtin-db', '/modules/0/config/password_hash', 'enum']],
    );
    assert.deepEqual(await clusterKeys('bad'), [], 'nothing written');

    // History mode writes every revision: an invalid older one refuses too, naming it.
    const good = documentWith(record('auth-builtin-db', { password_hash: 'sha256' }));
    const oldBad = await dataDirWith('old-invalid', [bad, good]);
    const refused = await run(['cluster', 'import-from-sqlite', '--data-dir', oldBad, '--url', redis.url, '--name', 'bad']);
    assert.equal(refused.code, 1);
    assert.match(refused.err[1]!, /^import-from-sqlite: revision 1: module auth-builtin-db: \/modules\/0\/config\/password_hash/);
    assert.deepEqual(await clusterKeys('bad'), []);
  });

  test('module data already in Redis refuses the import unless --force; a ram retainer has nothing to move', async () => {
    const document = documentWith(record('auth-builtin-db', { password_hash: 'sha256' }), record('retainer', { storage_type: 'ram' }));
    const dataDir = await dataDirWith('held', [document]);
    await seedBuiltinDb(dataDir);
    // A retained.db left behind is not read while the storage is ram (the node does not read it either).
    const retainerDir = join(dataDir, 'modules', 'retainer');
    await mkdir(retainerDir, { recursive: true });
    const disc = new DiscBackend(retainerDir);
    disc.put({ topic: 'stale', payload: Buffer.from('x'), qos: 0, storedAt: 1 });
    disc.close();

    const users = 'modmq:{held}:m:auth-builtin-db:users';
    await client.hset(users, 'username\nalready', '{"a":"plain","s":"","h":"eA==","su":false,"c":0}');
    const refused = await run(['cluster', 'import-from-sqlite', '--data-dir', dataDir, '--url', redis.url, '--name', 'held']);
    assert.equal(refused.code, 1);
    assert.match(refused.err[0]!, /Redis already holds data of module\(s\) auth-builtin-db \(1 record\(s\)\); nothing imported\. --force adds/);
    assert.deepEqual((await clusterKeys('held')).sort(), [users], 'nothing written');

    const file = join(dataDir, 'modules', 'auth-builtin-db', 'builtin-db.sqlite');
    const before = await readFile(file);
    const forced = await run(['cluster', 'import-from-sqlite', '--data-dir', dataDir, '--url', redis.url, '--name', 'held', '--force']);
    assert.equal(forced.code, 0, forced.err.join('\n'));
    assert.deepEqual(await readFile(file), before, 'the node\'s file is only read');
    assert.match(forced.out[0]!, /^imported 1 revision\(s\) from .* into cluster "held" .*; current revision 1$/);
    assert.match(forced.out[1]!, /^module auth-builtin-db \(auth-builtin-db\): copied 2 users, 1 rules; added to the 1 record\(s\) Redis already held/);
    assert.match(forced.out[2]!, /^module retainer \(retainer\): nothing to move: storage_type is ram/);
    assert.deepEqual((await client.hkeys(users)).sort(), ['clientid\nc1', 'username\nalready', 'username\nu1']);
    assert.deepEqual(await client.hgetall('modmq:{held}:m:auth-builtin-db:acl:username\nu1'), { 'pub\na/#': 'deny 3 1' });
    assert.deepEqual(await clusterKeys('held').then((keys) => keys.filter((k) => k.includes(':m:retainer:'))), []);
  });
});
