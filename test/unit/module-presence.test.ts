import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleContext } from '../helpers/module-context.js';
import { createFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { presence } from '../../src/modules/presence/index.js';

const context = (fake: FakeBroker, id = 'presence') => moduleContext(fake, id);

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('connected event: EMQX 4.4 topic and fields, configured qos, not retained', async () => {
  const fake = createFakeBroker('emqx@127.0.0.1');
  const instance = await presence.create(context(fake), { qos: 1 });
  const before = Date.now();
  fake.connect({
    clientId: 'dev-1',
    username: 'alice',
    peerHost: '10.0.0.7',
    sockPort: 1883,
    protoName: 'MQTT',
    protoVer: 5,
    keepalive: 30,
    cleanStart: false,
    expiryInterval: 7200,
    connectedAt: 1_700_000_000_000,
  });
  await settle();
  assert.equal(fake.published.length, 1);
  const msg = fake.published[0]!;
  assert.equal(msg.topic, '$SYS/brokers/emqx@127.0.0.1/clients/dev-1/connected');
  assert.equal(msg.qos, 1);
  assert.equal(msg.retain ?? false, false);
  const body = JSON.parse(String(msg.payload));
  const { ts, ...rest } = body;
  assert.deepEqual(rest, {
    clientid: 'dev-1',
    username: 'alice',
    ipaddress: '10.0.0.7',
    sockport: 1883,
    proto_name: 'MQTT',
    proto_ver: 5,
    connected_at: 1_700_000_000_000,
    connack: 0,
    keepalive: 30,
    clean_start: false,
    expiry_interval: 7200,
  });
  assert.ok(ts >= before);
  await instance.stop();
});

test('disconnected event: common fields including connected_at, plus reason and disconnected_at', async () => {
  const fake = createFakeBroker('n1');
  const instance = await presence.create(context(fake), { qos: 0 });
  fake.connect({ clientId: 'c', connectedAt: 42, protoVer: 4 });
  fake.disconnect('c', 'keepalive_timeout');
  await settle();
  assert.equal(fake.published.length, 2);
  const msg = fake.published[1]!;
  assert.equal(msg.topic, '$SYS/brokers/n1/clients/c/disconnected');
  assert.equal(msg.qos, 0);
  const body = JSON.parse(String(msg.payload));
  assert.deepEqual(Object.keys(body).sort(), [
    'clientid', 'connected_at', 'disconnected_at', 'ipaddress', 'proto_name', 'proto_ver', 'reason', 'sockport', 'ts', 'username',
  ]);
  assert.equal(body.reason, 'keepalive_timeout');
  assert.equal(body.connected_at, 42);
  assert.equal(body.username, null);
  assert.equal(body.proto_ver, 4);
  assert.equal(typeof body.disconnected_at, 'number');
  await instance.stop();
});

test('hot update changes the qos of later events', async () => {
  const fake = createFakeBroker();
  const instance = await presence.create(context(fake), { qos: 0 });
  fake.connect({ clientId: 'a' });
  await instance.update!({ qos: 2 });
  fake.connect({ clientId: 'b' });
  await settle();
  assert.deepEqual(fake.published.map((m) => m.qos), [0, 2]);
  assert.deepEqual(instance.status(), { state: 'running' });
  await instance.stop();
});

test('stop removes the hooks: no event afterwards', async () => {
  const fake = createFakeBroker();
  const instance = await presence.create(context(fake), { qos: 0 });
  assert.equal(fake.hookCount(), 2);
  await instance.stop();
  assert.equal(fake.hookCount(), 0);
  fake.connect({ clientId: 'late' });
  await settle();
  assert.equal(fake.published.length, 0);
});

test('a failing publish is logged, never thrown into the hook chain', async () => {
  const fake = createFakeBroker();
  fake.api.publish = async () => {
    throw new Error('no route');
  };
  const instance = await presence.create(context(fake), { qos: 0 });
  assert.doesNotThrow(() => fake.connect({ clientId: 'x' }));
  await settle();
  await instance.stop();
});
