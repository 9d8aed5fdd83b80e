/**
 * auth-mongodb through a real broker with MQTT.js clients, over the in-test FAKE MongoDB store
 * (no MongoDB server can run here): connect, refuse, superuser, ACL, store failure, live update.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createAuthMongodbType, type AuthMongodbConfig } from '../../src/modules/auth-mongodb/index.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';
import { moduleContext } from '../helpers/module-context.js';
import { connectError, startHarness, subscribeGranted, type Harness } from '../helpers/mqtt-harness.js';
import { FakeMongoStore, mongodbConfig } from './module-auth-mongodb-fake.js';

const sha256 = (t: string): string => createHash('sha256').update(t).digest('hex');

describe('auth-mongodb over MQTT (fake MongoDB)', () => {
  const store = new FakeMongoStore();
  const type = createAuthMongodbType(() => store);
  let h: Harness;
  let instance: ModuleInstance<AuthMongodbConfig>;
  let config: AuthMongodbConfig;

  before(async () => {
    store.insert('mqtt_user', { username: 'alice', password: sha256('alice-pw') });
    store.insert('mqtt_user', { username: 'root', password: sha256('root-pw'), is_superuser: true });
    store.insert('v2_user', { username: 'alice', password: sha256('new-pw') });
    store.insert('mqtt_acl', { username: 'alice', publish: ['alice/pub/#'], subscribe: ['alice/sub/+'], pubsub: ['alice/both'] });
    h = await startHarness({ settings: { ...DEFAULT_SETTINGS, allow_anonymous: false, acl_nomatch: 'allow' } });
    config = mongodbConfig({
      super_query: { enable: true, collection: 'mqtt_user', super_field: 'is_superuser', selector: 'username=%u' },
      acl_query: { enable: true, collection: 'mqtt_acl', selector: 'username=%u', selectors: [] },
      on_backend_error: 'deny',
    });
    instance = await type.create(moduleContext(h.broker, 'auth-mongodb'), config);
  });
  after(async () => {
    await instance?.stop();
    await h?.close();
  });

  const port = (): number => h.port('tcp');

  test('right password connects; wrong refused 0x86; unknown user reaches allow_anonymous (fake MongoDB)', async () => {
    assert.equal((await h.connect({ clientId: 'a', username: 'alice', password: 'alice-pw', protocolVersion: 5 })).connected, true);
    assert.equal((await connectError(port(), { clientId: 'w', username: 'alice', password: 'no', protocolVersion: 5 })).code, 0x86);
    assert.equal((await connectError(port(), { clientId: 'g', username: 'ghost', password: 'no', protocolVersion: 5 })).code, 0x87);
  });

  test('ACL: documents found but no match DENY even with acl_nomatch=allow (4.x); superuser bypasses (fake MongoDB)', async () => {
    const alice = await h.connect({ clientId: 'acl', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
    assert.deepEqual(await subscribeGranted(alice, { 'alice/sub/1': { qos: 1 }, 'alice/both': { qos: 1 }, 'x/y': { qos: 1 } }), {
      'alice/sub/1': 1,
      'alice/both': 1,
      'x/y': 0x87,
    });
    await alice.publishAsync('alice/pub/1', 'ok', { qos: 1 });
    await assert.rejects(alice.publishAsync('x/y', 'no', { qos: 1 }), /Not authorized/);
    const root = await h.connect({ clientId: 'root', username: 'root', password: 'root-pw', protocolVersion: 5 });
    assert.deepEqual(await subscribeGranted(root, { 'x/y': { qos: 1 } }), { 'x/y': 1 });
  });

  test('store failure: refused with server unavailable and degraded; recovered (fake MongoDB)', async () => {
    store.failWith = new Error('no primary');
    try {
      assert.equal((await connectError(port(), { clientId: 'd', username: 'alice', password: 'alice-pw', protocolVersion: 5 })).code, 0x88);
      assert.equal(instance.status().state, 'degraded');
    } finally {
      store.failWith = undefined;
    }
    assert.equal((await h.connect({ clientId: 'd2', username: 'alice', password: 'alice-pw', protocolVersion: 5 })).connected, true);
    assert.equal(instance.status().state, 'running');
  });

  test('live update: another collection is used by the next connect (fake MongoDB)', async () => {
    await instance.update!({ ...config, auth_query: { ...config.auth_query, collection: 'v2_user' } });
    try {
      assert.equal((await h.connect({ clientId: 'u1', username: 'alice', password: 'new-pw', protocolVersion: 5 })).connected, true);
      assert.equal((await connectError(port(), { clientId: 'u2', username: 'alice', password: 'alice-pw', protocolVersion: 5 })).code, 0x86);
    } finally {
      await instance.update!(config);
    }
  });
});
