/**
 * The broker hooks the retainer (and delayed publish) rely on, on a real broker with MQTT.js:
 * messagePublish (after ACL and rewrite, before retain and routing; 'stop' still acknowledges),
 * BrokerApi.publish skipping it, and the RetainedStore seam (no store = retain flag ignored).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { ClientInfo, PublishedMessage } from '../../src/broker/hooks.js';
import { type Harness, memoryRetainedStore, startHarness } from '../helpers/mqtt-harness.js';

/** Topics SUB receives until a marker published through the broker API after ACTION. */
async function receivedAround(h: Harness, sub: MqttClient, action: () => Promise<void>): Promise<string[]> {
  const marker = `marker/${Math.random().toString(36).slice(2)}`;
  await sub.subscribeAsync(marker, { qos: 0 });
  const topics: string[] = [];
  const done = new Promise<void>((resolve) => {
    const on = (topic: string): void => {
      if (topic === marker) {
        sub.off('message', on);
        resolve();
      } else topics.push(topic);
    };
    sub.on('message', on);
  });
  await action();
  await h.broker.api.publish({ topic: marker, payload: 'm', qos: 0 });
  await done;
  return topics;
}

describe('messagePublish hook', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  test("'stop' drops the message after acknowledging it (QoS 0, 1, 2), and sees the rewritten topic", async () => {
    const scope = h.broker.hooks.scope('interceptor');
    scope.rewriteTopic((_c, action, topic) => (action === 'publish' && topic.startsWith('raw/') ? `rw/${topic.slice(4)}` : topic));
    const seen: Array<{ client: ClientInfo | null; message: PublishedMessage }> = [];
    scope.messagePublish((client, message) => {
      seen.push({ client, message });
      return message.topic.startsWith('rw/drop') ? 'stop' : 'continue';
    });
    const sub = await h.connect({ clientId: 'sub' });
    await sub.subscribeAsync('rw/#', { qos: 2 });
    const pub = await h.connect({ clientId: 'pub', username: 'u1', protocolVersion: 5 });
    const got = await receivedAround(h, sub, async () => {
      for (const qos of [0, 1, 2] as const) await pub.publishAsync(`raw/drop/${qos}`, 'x', { qos }); // resolves on PUBACK / PUBCOMP
      await pub.publishAsync('raw/keep', 'y', { qos: 1, retain: true, properties: { contentType: 'c' } });
    });
    assert.deepEqual(got, ['rw/keep']);
    assert.deepEqual(seen.map((s) => s.message.topic), ['rw/drop/0', 'rw/drop/1', 'rw/drop/2', 'rw/keep']);
    const keep = seen[3]!;
    assert.equal(keep.client?.clientId, 'pub');
    assert.equal(keep.client?.username, 'u1');
    assert.equal(keep.message.payload.toString(), 'y');
    assert.equal(keep.message.qos, 1);
    assert.equal(keep.message.retain, true);
    assert.equal(keep.message.properties?.contentType, 'c');
  });

  test('BrokerApi.publish does not run the hooks; a hook that throws counts as continue', async () => {
    const scope = h.broker.hooks.scope('interceptor');
    const seen: string[] = [];
    scope.messagePublish((_c, m) => {
      seen.push(m.topic);
      throw new Error('broken hook');
    });
    scope.messagePublish(() => 'stop');
    const sub = await h.connect();
    await sub.subscribeAsync('t/#', { qos: 1 });
    const got = await receivedAround(h, sub, async () => {
      await h.broker.api.publish({ topic: 't/api', payload: 'a', qos: 1 });
    });
    assert.deepEqual(got, ['t/api']);
    assert.deepEqual(seen, [], 'no hook ran for the broker-internal publish');
    const pub = await h.connect();
    const got2 = await receivedAround(h, sub, async () => {
      await pub.publishAsync('t/client', 'c', { qos: 1 });
    });
    assert.deepEqual(got2, [], 'the second hook stopped it after the first threw');
    assert.deepEqual(seen, ['t/client']);
  });

  test('wills run through the hook with their client', async () => {
    const seen: string[] = [];
    h.broker.hooks.scope('interceptor').messagePublish((client, m) => {
      seen.push(`${client?.clientId}:${m.topic}`);
      return 'continue';
    });
    const sub = await h.connect();
    await sub.subscribeAsync('will/#', { qos: 1 });
    const got = new Promise<string>((resolve) => sub.once('message', (t) => resolve(t)));
    const dying = await h.connect({ clientId: 'dying', will: { topic: 'will/dying', payload: Buffer.from('bye'), qos: 1, retain: false } });
    (dying as unknown as { stream: { destroy(): void } }).stream.destroy();
    assert.equal(await got, 'will/dying');
    assert.deepEqual(seen, ['dying:will/dying']);
  });
});

// Publishes below use QoS 2: aedes sends PUBREC only after the publish, retained storage
// included, completed, so the store is up to date when publishAsync resolves.
describe('retained store seam', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  test('without a store the retain flag is ignored; with one, messages are stored, served and deleted', async () => {
    const pub = await h.connect();
    await pub.publishAsync('r/none', 'lost', { qos: 2, retain: true });
    const sub = await h.connect();
    assert.deepEqual(await receivedAround(h, sub, () => sub.subscribeAsync('r/#', { qos: 0 }).then(() => undefined)), []);

    const store = memoryRetainedStore();
    const unhook = h.broker.hooks.scope('store').retainedStore(store);
    await pub.publishAsync('r/kept', 'v', { qos: 2, retain: true, properties: {} });
    assert.deepEqual([...store.messages.keys()], ['r/kept']);
    const stored = store.messages.get('r/kept')!;
    assert.equal(stored.payload.toString(), 'v');
    assert.equal(stored.qos, 2);
    assert.equal(stored.expiresAt, undefined);
    await pub.publishAsync('r/kept', '', { qos: 2, retain: true });
    assert.equal(store.messages.size, 0, 'empty payload deletes');
    unhook();
    await pub.publishAsync('r/after', 'v', { qos: 2, retain: true });
    assert.equal(store.messages.size, 0, 'no store once unhooked');
  });

  test('MQTT 5 message expiry becomes expiresAt; per-hop properties are not stored', async () => {
    const store = memoryRetainedStore();
    h.broker.hooks.scope('store').retainedStore(store);
    const pub = await h.connect({ protocolVersion: 5 });
    const before = Date.now();
    await pub.publishAsync('r/exp', 'v', { qos: 2, retain: true, properties: { messageExpiryInterval: 60, userProperties: { a: 'b' } } });
    const m = store.messages.get('r/exp')!;
    assert.ok(m.expiresAt !== undefined && m.expiresAt >= before + 60_000 && m.expiresAt <= Date.now() + 60_000);
    assert.deepEqual(JSON.parse(JSON.stringify(m.properties)), { userProperties: { a: 'b' } });
  });

  test('several stores: the first in module order is used; a non-store is refused', () => {
    const a = memoryRetainedStore();
    const b = memoryRetainedStore();
    h.broker.hooks.scope('b').retainedStore(b);
    h.broker.hooks.scope('a').retainedStore(a);
    h.broker.hooks.setOrder(['a', 'b']);
    return h.connect().then(async (pub) => {
      await pub.publishAsync('x', 'v', { qos: 2, retain: true });
      assert.equal(a.messages.size, 1);
      assert.equal(b.messages.size, 0);
      assert.throws(() => h.broker.hooks.scope('c').retainedStore({ store() {} } as never), TypeError);
    });
  });
});
