/**
 * auth-redis against a real redis-server and a real broker, with MQTT.js clients: passwords,
 * unknown users falling through to allow_anonymous, superuser, ACL for publish and subscribe,
 * the server going down and coming back, and a live config change.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { AuthRedisConfig } from '../../src/modules/auth-redis/index.js';
import { authRedis } from '../../src/modules/auth-redis/index.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';
import { moduleContext } from '../helpers/module-context.js';
import { connectError, startHarness, subscribeGranted, waitFor, type Harness } from '../helpers/mqtt-harness.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('auth-redis over MQTT (real redis-server)', () => {
  let redis: RedisServer;
  let h: Harness;
  let instance: ModuleInstance<AuthRedisConfig>;
  let config: AuthRedisConfig;

  const seed = async (): Promise<void> => {
    const r = new Redis(redis.url);
    try {
      await r.hset('mqtt_user:alice', { password: sha256('alice-pw' + 'salt1'), salt: 'salt1' });
      await r.hset('mqtt_user:root', { password: sha256('root-pw' + 'salt2'), salt: 'salt2', is_superuser: '1' });
      await r.hset('mqtt_acl:alice', { 'alice/pub/#': '2', 'alice/sub/+': '1', 'alice/both': '3' });
      await r.hset('v2_user:alice', { password: sha256('new-pw' + 'salt3'), salt: 'salt3' });
    } finally {
      r.disconnect();
    }
  };

  before(async () => {
    redis = await startRedis();
    await seed();
    h = await startHarness({ settings: { ...DEFAULT_SETTINGS, allow_anonymous: false, acl_nomatch: 'deny' } });
    config = {
      redis_type: 'single',
      servers: [`127.0.0.1:${redis.port}`],
      sentinel: '',
      database: 0,
      password: '',
      pool_size: 2,
      query_timeout: '2s',
      ssl: {},
      password_hash: { name: 'sha256', salt_position: 'suffix' },
      auth_cmd: 'HMGET mqtt_user:%u password salt',
      super_cmd: 'HGET mqtt_user:%u is_superuser',
      acl_cmd: 'HGETALL mqtt_acl:%u',
      on_backend_error: 'deny',
    };
    instance = await authRedis.create(moduleContext(h.broker, 'auth-redis'), config);
    await waitFor(() => instance.status().state === 'running', 'redis connected');
  });

  after(async () => {
    await instance?.stop();
    await h?.close();
    await redis?.stop();
  });

  const port = (): number => h.port('tcp');

  test('right password connects, wrong password is refused (bad credentials), unknown user reaches allow_anonymous', async () => {
    const ok = await h.connect({ clientId: 'a1', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
    assert.equal(ok.connected, true);
    const wrong = await connectError(port(), { clientId: 'a2', username: 'alice', password: 'nope', protocolVersion: 5 });
    assert.equal(wrong.code, 0x86);
    const wrong3 = await connectError(port(), { clientId: 'a3', username: 'alice', password: 'nope', protocolVersion: 4 });
    assert.equal(wrong3.code, 4);
    // Nobody answers for ghost: allow_anonymous=false refuses with not authorized.
    const ghost = await connectError(port(), { clientId: 'g', username: 'ghost', password: 'x', protocolVersion: 5 });
    assert.equal(ghost.code, 0x87);
  });

  test('ACL: publish and subscribe allowed by access 1/2/3, everything else denied by acl_nomatch', async () => {
    const alice = await h.connect({ clientId: 'acl-a', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
    const granted = await subscribeGranted(alice, {
      'alice/sub/x': { qos: 1 },
      'alice/both': { qos: 1 },
      'alice/pub/x': { qos: 1 },
      'other/t': { qos: 1 },
    });
    assert.deepEqual(granted, { 'alice/sub/x': 1, 'alice/both': 1, 'alice/pub/x': 0x87, 'other/t': 0x87 });
    await alice.publishAsync('alice/pub/1', 'ok', { qos: 1 });
    await alice.publishAsync('alice/both', 'ok', { qos: 1 });
    await assert.rejects(alice.publishAsync('alice/sub/x', 'no', { qos: 1 }), /Not authorized/);
    await assert.rejects(alice.publishAsync('other/t', 'no', { qos: 1 }), /Not authorized/);
  });

  test('superuser bypasses ACL', async () => {
    const root = await h.connect({ clientId: 'root', username: 'root', password: 'root-pw', protocolVersion: 5 });
    assert.deepEqual(await subscribeGranted(root, { 'any/#': { qos: 1 } }), { 'any/#': 1 });
    await root.publishAsync('any/thing', 'ok', { qos: 1 });
    assert.equal(h.broker.api.client('root')?.superuser, true);
  });

  test('server down: degraded with a reason and connects refused (deny) or passed on (ignore); back up: running', async () => {
    await redis.halt();
    try {
      const refused = await connectError(port(), { clientId: 'd1', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
      assert.equal(refused.code, 0x88, 'server unavailable');
      const status = instance.status();
      assert.equal(status.state, 'degraded');
      assert.ok(status.state === 'degraded' && status.reason.length > 0);

      await instance.update!({ ...config, on_backend_error: 'ignore' });
      h.broker.setSettings({ ...DEFAULT_SETTINGS, allow_anonymous: true, acl_nomatch: 'deny' });
      const passed = await h.connect({ clientId: 'd2', username: 'alice', password: 'whatever', protocolVersion: 5 });
      assert.equal(passed.connected, true, 'ignored, then allow_anonymous');
    } finally {
      h.broker.setSettings({ ...DEFAULT_SETTINGS, allow_anonymous: false, acl_nomatch: 'deny' });
      await instance.update!(config);
      await redis.restart();
      await seed();
    }
    await waitFor(() => instance.status().state === 'running', 'reconnected');
    const back = await h.connect({ clientId: 'd3', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
    assert.equal(back.connected, true);
  });

  test('live update: a new auth_cmd is used by the next connect', async () => {
    await instance.update!({ ...config, auth_cmd: 'HMGET v2_user:%u password salt' });
    try {
      const fresh = await h.connect({ clientId: 'u1', username: 'alice', password: 'new-pw', protocolVersion: 5 });
      assert.equal(fresh.connected, true);
      const old = await connectError(port(), { clientId: 'u2', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
      assert.equal(old.code, 0x86);
    } finally {
      await instance.update!(config);
    }
  });

  test('live update of the connection: another database, then back', async () => {
    await instance.update!({ ...config, database: 3 });
    try {
      // Database 3 is empty: alice is unknown there, so allow_anonymous=false refuses.
      const unknown = await connectError(port(), { clientId: 'db3', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
      assert.equal(unknown.code, 0x87);
    } finally {
      await instance.update!(config);
    }
    const back = await h.connect({ clientId: 'db0', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
    assert.equal(back.connected, true);
  });
});
