import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startHarness } from '../helpers/mqtt-harness.js';
import { collect, connectWithAck, drain, mosquitto, until } from '../helpers/mqtt5.js';

/** The subscription identifiers of a message, sorted (MQTT.js gives a number or an array). */
function ids(value: number | number[] | undefined): number[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? [...value] : [value]).sort((a, b) => a - b);
}

// Overlapping subscriptions [MQTT-3.3.4-2..5] and Subscription Identifiers [3.8.2.1.2].
// modmq sends ONE copy per message and client, at the maximum QoS of the matching subscriptions,
// carrying the identifiers of all of them (the spec's single-copy option; see overlapping-subscriptions.ts).
describe('MQTT 5 overlapping subscriptions and subscription identifiers', () => {
  test('one copy at the highest matching QoS, with every matching identifier', async () => {
    const h = await startHarness();
    try {
      const sub = await h.connect({ protocolVersion: 5 });
      const got = collect(sub);
      await sub.subscribeAsync('o/+', { qos: 0, properties: { subscriptionIdentifier: 1 } });
      await sub.subscribeAsync('o/#', { qos: 1, properties: { subscriptionIdentifier: 2 } });
      await sub.subscribeAsync('o/x', { qos: 2 });
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('o/x', 'all three', { qos: 2 });
      await pub.publishAsync('o/y', 'two with ids', { qos: 2 });
      await pub.publishAsync('o/y/z', 'only #', { qos: 2 });
      const messages = await drain(pub, sub, got);
      assert.deepEqual(
        messages.map((m) => [m.payload, m.qos, ids(m.properties?.subscriptionIdentifier)]),
        [
          ['all three', 2, [1, 2]],
          ['two with ids', 1, [1, 2]],
          ['only #', 1, [2]],
        ],
      );
    } finally {
      await h.close();
    }
  });

  test('a wildcard subscription with a higher QoS wins over the exact filter', async () => {
    const h = await startHarness();
    try {
      const sub = await h.connect({ protocolVersion: 5 });
      const got = collect(sub);
      await sub.subscribeAsync('ex/x', { qos: 0 });
      await sub.subscribeAsync('ex/#', { qos: 1 });
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('ex/x', 'm', { qos: 2 });
      await pub.publishAsync('ex/x', 'n', { qos: 0 });
      assert.deepEqual(
        (await drain(pub, sub, got)).map((m) => [m.payload, m.qos]),
        [
          ['m', 1],
          ['n', 0],
        ],
      );
      // The exact subscription keeps its own QoS once the copy is written.
      await pub.publishAsync('ex/x', 'again', { qos: 1 });
      assert.deepEqual((await drain(pub, sub, got)).map((m) => m.qos), [1]);
    } finally {
      await h.close();
    }
  });

  test('QoS is capped by the subscription, also for a wildcard filter', async () => {
    const h = await startHarness();
    try {
      const sub = await h.connect({ protocolVersion: 5 });
      const got = collect(sub);
      await sub.subscribeAsync('cap/+', { qos: 1 });
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('cap/a', 'q2 published', { qos: 2 });
      const [m] = await drain(pub, sub, got);
      assert.equal(m!.qos, 1);
    } finally {
      await h.close();
    }
  });

  test('a persistent session gets one copy from its offline queue, capped QoS, with its identifiers', async () => {
    const h = await startHarness();
    try {
      const options = { clientId: 'overlap-offline', clean: false, properties: { sessionExpiryInterval: 60 } };
      const first = await connectWithAck(h, options);
      await first.client.subscribeAsync('off/+', { qos: 1, properties: { subscriptionIdentifier: 7 } });
      await first.client.subscribeAsync('off/#', { qos: 1, properties: { subscriptionIdentifier: 8 } });
      await first.client.endAsync();
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('off/a', 'queued', { qos: 2 });
      const again = await connectWithAck(h, options);
      assert.equal(again.sessionPresent, true);
      const messages = await drain(pub, again.client, again.got);
      assert.deepEqual(
        messages.map((m) => [m.payload, m.qos, ids(m.properties?.subscriptionIdentifier)]),
        [['queued', 1, [7, 8]]],
      );
    } finally {
      await h.close();
    }
  });

  test('a SUBSCRIBE identifier applies to every filter of the packet and is kept by a restored session', async () => {
    const h = await startHarness();
    try {
      const options = { clientId: 'sid-restore', clean: false, properties: { sessionExpiryInterval: 60 } };
      const first = await connectWithAck(h, options);
      await first.client.subscribeAsync({ 'sid/a': { qos: 1 }, 'sid/b': { qos: 1 } }, { properties: { subscriptionIdentifier: 42 } });
      await first.client.endAsync();
      const again = await connectWithAck(h, options);
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('sid/a', 'a', { qos: 1 });
      await pub.publishAsync('sid/b', 'b', { qos: 0 });
      const messages = await drain(pub, again.client, again.got);
      assert.deepEqual(
        messages.map((m) => [m.payload, ids(m.properties?.subscriptionIdentifier)]),
        [
          ['a', [42]],
          ['b', [42]],
        ],
      );
    } finally {
      await h.close();
    }
  });

  test('3.1.1: overlapping subscriptions give one copy at the highest QoS', async () => {
    const h = await startHarness();
    try {
      const sub = await h.connect({ protocolVersion: 4 });
      const got = collect(sub);
      await sub.subscribeAsync('v4o/+', { qos: 0 });
      await sub.subscribeAsync('v4o/#', { qos: 1 });
      const pub = await h.connect({ protocolVersion: 4 });
      await pub.publishAsync('v4o/a', 'x', { qos: 1 });
      const messages = await drain(pub, sub, got);
      assert.deepEqual(
        messages.map((m) => [m.payload, m.qos]),
        [['x', 1]],
      );
    } finally {
      await h.close();
    }
  });

  test('mosquitto_sub -V mqttv5 prints the subscription identifier (%S)', async () => {
    const h = await startHarness();
    try {
      const base = ['-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5'];
      const seen = new Set<string>();
      h.broker.hooks.scope('watch').authorize((c, action) => {
        if (action === 'subscribe') seen.add(c.clientId);
        return { result: 'ignore' };
      });
      const sub = mosquitto('mosquitto_sub', [...base, '-i', 'mosq-sid', '-q', '1', '-t', 'ms/+', '-D', 'subscribe', 'subscription-identifier', '9', '-C', '1', '-W', '20', '-F', '%p|%S']);
      await until(() => seen.has('mosq-sid'), 'mosquitto_sub subscribed');
      const pub = await h.connect({ protocolVersion: 5 });
      let out: string | undefined;
      void sub.done.then((o) => (out = o));
      // The SUBSCRIBE is authorized a moment before it is routed: publish until it arrives.
      for (let i = 0; i < 50 && out === undefined; i++) {
        await pub.publishAsync('ms/a', 'hello', { qos: 1 });
        await Promise.race([sub.done, new Promise((r) => setTimeout(r, 200))]);
      }
      assert.equal((await sub.done).trim(), 'hello|9');
    } finally {
      await h.close();
    }
  });
});
