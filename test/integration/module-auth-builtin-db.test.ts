/**
 * auth-builtin-db end to end on the spawned modmq binary: the module added through the API, users
 * and ACL rules through the API and the `modmq users` CLI, EMQX 4.x users imported with their salted
 * hashes, and MQTT.js clients logging in and publishing/subscribing against them.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { subscribeGranted } from '../helpers/mqtt-harness.js';
import { nextMessage, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

let node: NodeProcess;
const BASE = '/auth/builtin-db';

before(async () => {
  node = await startNodeProcess();
});
after(async () => {
  await node.close();
});

/** CONNACK result of a login: 0 = accepted, else the return/reason code. */
async function connackCode(options: IClientOptions): Promise<number> {
  const client = mqtt.connect({ host: '127.0.0.1', port: node.mqtt.port, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', () => resolve(0));
      client.once('error', (err: Error & { code?: number }) => (typeof err.code === 'number' ? resolve(err.code) : reject(err)));
      client.once('close', () => reject(new Error('closed without CONNACK')));
    });
  } finally {
    await client.endAsync(true);
  }
}

/** A 4.4 export password: base64(salt(4) ++ hex(sha256(salt ++ password))), computed per the 4.x algorithm. */
function emqx4Sha256(password: string): string {
  const salt = randomBytes(4);
  const hex = createHash('sha256').update(Buffer.concat([salt, Buffer.from(password)])).digest('hex');
  return Buffer.concat([salt, Buffer.from(hex, 'latin1')]).toString('base64');
}

async function setAllowAnonymous(value: boolean): Promise<void> {
  const current = await node.json<{ document: { settings: Record<string, unknown> }; revision: number }>('GET', '/cluster');
  const doc = current.document ?? (current as unknown as { settings: Record<string, unknown> });
  const body = { document: { ...doc, settings: { ...doc.settings, allow_anonymous: value } }, revision: current.revision };
  const res = await node.json<{ revision: number }>('PUT', '/cluster', body);
  await node.waitApplied(res.revision);
}

describe('auth-builtin-db on a running node', () => {
  test('the API answers 503 while the module does not run', async () => {
    const res = await node.request('GET', `${BASE}/users`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { code: string }).code, 'MODMQ_MODULE_NOT_RUNNING');
  });

  test('module added with a seed user; anonymous logins refused', async () => {
    const added = await node.json<{ revision: number }>('POST', '/modules?wait=true', {
      type: 'auth-builtin-db',
      config: { password_hash: 'sha256', users: [{ username: 'seed', password: 'seed-pw' }] },
    });
    await node.waitApplied(added.revision);
    await setAllowAnonymous(false);
    assert.equal(await connackCode({ clientId: 'c-seed', username: 'seed', password: 'seed-pw' }), 0);
    assert.equal(await connackCode({ clientId: 'c-seed', username: 'seed', password: 'wrong' }), 4, 'bad user name or password');
    assert.equal(await connackCode({ clientId: 'c-v5', username: 'seed', password: 'wrong', protocolVersion: 5 }), 0x86);
    assert.equal(await connackCode({ clientId: 'c-anon', username: 'nobody', password: 'x' }), 5, 'unknown -> allow_anonymous=false');
  });

  test('users through the API: created, listed without hashes, updated, removed', async () => {
    const created = await node.request('POST', `${BASE}/users`, { username: 'alice', password: 'a-pw' });
    assert.equal(created.status, 201);
    const view = (await created.json()) as Record<string, unknown>;
    assert.deepEqual([view['kind'], view['id'], view['is_superuser'], view['hash_algorithm']], ['username', 'alice', false, 'sha256']);
    assert.equal((await node.request('POST', `${BASE}/users`, { username: 'alice', password: 'x' })).status, 409);
    assert.equal((await node.request('POST', `${BASE}/users`, { username: 'x', clientid: 'y', password: 'x' })).status, 400);
    await node.json('POST', `${BASE}/users`, { clientid: 'dev-1', password: 'd-pw' });
    const list = await node.json<{ items: Array<Record<string, unknown>>; total: number }>('GET', `${BASE}/users?kind=username`);
    assert.deepEqual(list.items.map((u) => u['id']).sort(), ['alice', 'seed']);
    const text = JSON.stringify(await node.json('GET', `${BASE}/users`));
    assert.doesNotMatch(text, /a-pw|"salt"|"hash"|"password"/, 'no password, hash or salt in answers');
    // MQTT 3.1.1 has no password without a username: any username does for a client id user.
    assert.equal(await connackCode({ clientId: 'dev-1', username: 'any', password: 'd-pw' }), 0, 'client id user, any username');
    await node.json('PUT', `${BASE}/users/username/alice`, { password: 'a-pw2' });
    assert.equal(await connackCode({ clientId: 'c-a', username: 'alice', password: 'a-pw' }), 4);
    assert.equal(await connackCode({ clientId: 'c-a', username: 'alice', password: 'a-pw2' }), 0);
    await node.json('DELETE', `${BASE}/users/clientid/dev-1`);
    assert.equal((await node.request('GET', `${BASE}/users/clientid/dev-1`)).status, 404);
    assert.equal(await connackCode({ clientId: 'dev-1', username: 'any', password: 'd-pw' }), 5, 'removed -> unknown -> anonymous refused');
  });

  test('ACL: allow/deny for publish and subscribe; superusers bypass', async () => {
    await node.json('POST', `${BASE}/users`, { username: 'root', password: 'r-pw', is_superuser: true });
    await node.json('POST', `${BASE}/acl`, { username: 'alice', topic: 'open/#', action: 'pubsub', permission: 'allow' });
    await node.json('POST', `${BASE}/acl`, { topic: '#', action: 'pubsub', permission: 'deny' });
    const alice = await node.connect({ clientId: 'acl-alice', username: 'alice', password: 'a-pw2' });
    const root = await node.connect({ clientId: 'acl-root', username: 'root', password: 'r-pw' });
    assert.deepEqual(await subscribeGranted(alice, { 'open/x': { qos: 1 }, 'closed/x': { qos: 1 } }), { 'open/x': 1, 'closed/x': 128 });
    const rootGranted = await subscribeGranted(root, { 'closed/#': { qos: 1 }, 'open/#': { qos: 1 } });
    assert.deepEqual(rootGranted, { 'closed/#': 1, 'open/#': 1 }, 'superuser subscribes anywhere');
    // alice's publish to closed/ is dropped; the open/ one arrives (and comes after it).
    const seen: string[] = [];
    root.on('message', (t) => seen.push(t));
    const arrived = nextMessage(root, (t) => t === 'open/marker');
    await alice.publishAsync('closed/x', 'no', { qos: 1 });
    await alice.publishAsync('open/marker', 'yes', { qos: 1 });
    await arrived;
    assert.deepEqual(seen, ['open/marker']);
    const acl = await node.json<{ items: unknown[]; total: number }>('GET', `${BASE}/acl?kind=username&id=alice`);
    assert.equal(acl.total, 2, 'pubsub stored as pub + sub');
    assert.deepEqual(await node.json('DELETE', `${BASE}/acl?kind=all&topic=${encodeURIComponent('#')}`), { removed: 2 });
  });

  test('EMQX 4.x users imported with the CLI log in with their plain passwords', async () => {
    const file = join(node.dir, 'emqx-export.json');
    await writeFile(file, JSON.stringify({
      version: '4.4',
      auth_mnesia: [
        { login: 'legacy-user', type: 'username', password: emqx4Sha256('legacy-pw'), created_at: 1728915837583 },
        { login: 'legacy-cid', type: 'clientid', password: emqx4Sha256('cid-pw'), created_at: 1728915837583 },
      ],
      acl_mnesia: [{ type: 'clientid', type_value: 'legacy-cid', topic: 't/1', action: 'pub', access: 'allow', created_at: 1 }],
    }));
    const r = await node.cliOk(['users', 'import', 'emqx-export.json']);
    assert.match(r.stdout, /users: 2 inserted/);
    assert.match(r.stdout, /acl rules: 1 inserted/);
    assert.equal(await connackCode({ clientId: 'x1', username: 'legacy-user', password: 'legacy-pw' }), 0);
    assert.equal(await connackCode({ clientId: 'legacy-cid', username: 'legacy-cid', password: 'cid-pw' }), 0);
    assert.equal(await connackCode({ clientId: 'x2', username: 'legacy-user', password: 'nope' }), 4);
  });

  test('CLI: add, list, update, acl add/list/remove, remove', async () => {
    await node.cliOk(['users', 'add', 'username', 'cli-user', '--password', 'c-pw', '--superuser']);
    const list = await node.cliOk(['users', 'list', '--kind', 'username']);
    assert.match(list.stdout, /^username\s+cli-user\s+yes\s+sha256/m);
    assert.doesNotMatch(list.stdout, /c-pw/);
    await node.cliOk(['users', 'update', 'username', 'cli-user', '--no-superuser']);
    assert.match((await node.cliOk(['users', 'list', '--like', 'cli-'])).stdout, /^username\s+cli-user\s+no\s+/m);
    await node.cliOk(['users', 'acl', 'add', '--username', 'cli-user', '--topic', 'cli/%u', '--action', 'sub', '--permission', 'deny']);
    assert.match((await node.cliOk(['users', 'acl', 'list', '--kind', 'username', '--id', 'cli-user'])).stdout, /username\s+cli-user\s+sub\s+deny\s+cli\/%u/);
    const sub = await node.connect({ clientId: 'cli-c', username: 'cli-user', password: 'c-pw' });
    assert.deepEqual(await subscribeGranted(sub, { 'cli/cli-user': { qos: 0 } }), { 'cli/cli-user': 128 });
    assert.match((await node.cliOk(['users', 'acl', 'remove', '--kind', 'username', '--id', 'cli-user', '--topic', 'cli/%u'])).stdout, /removed 1 rule/);
    await node.cliOk(['users', 'remove', 'username', 'cli-user']);
    const missing = await node.cli(['users', 'remove', 'username', 'cli-user']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /MODMQ_NOT_FOUND/);
  });

  test('live config change: password_hash applies to users added afterwards', async () => {
    const mod = await node.json<{ config: Record<string, unknown>; revision?: number }>('GET', '/modules/auth-builtin-db');
    const changed = await node.json<{ revision: number }>('PUT', '/modules/auth-builtin-db?wait=true', {
      config: { ...mod.config, password_hash: 'sha512' },
    });
    await node.waitApplied(changed.revision);
    const view = await node.json<{ hash_algorithm: string }>('POST', `${BASE}/users`, { username: 'after', password: 'p-after' });
    assert.equal(view.hash_algorithm, 'sha512');
    assert.equal(await connackCode({ clientId: 'la', username: 'after', password: 'p-after' }), 0);
    assert.equal(await connackCode({ clientId: 'lb', username: 'alice', password: 'a-pw2' }), 0, 'older sha256 users still log in');
  });
});
