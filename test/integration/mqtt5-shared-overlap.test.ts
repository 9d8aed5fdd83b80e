import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, startHarness } from '../helpers/mqtt-harness.js';
import { collect, drain, type Received } from '../helpers/mqtt5.js';

function countBy(got: Received[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of got) counts[m.payload] = (counts[m.payload] ?? 0) + 1;
  return counts;
}

// A shared and a non-shared subscription of one client are separate subscriptions [MQTT-4.8.2]:
// a message matching both reaches the client once through each.
describe('a client with a shared and a normal subscription on the same messages', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('v5: one copy per subscription, each with its own Subscription Identifier and QoS', async () => {
    const sub = await h.connect({ protocolVersion: 5, clientId: 'so-both' });
    const plain = await h.connect({ protocolVersion: 5, clientId: 'so-plain' });
    const pub = await h.connect({ protocolVersion: 5 });
    await sub.subscribeAsync('$share/g/so/+', { qos: 1, properties: { subscriptionIdentifier: 1 } });
    await sub.subscribeAsync('so/+', { qos: 0, properties: { subscriptionIdentifier: 2 } });
    await plain.subscribeAsync('so/+', { qos: 1 });
    const got = collect(sub);
    const plainGot = collect(plain);
    for (const payload of ['a', 'b', 'c']) await pub.publishAsync('so/x', payload, { qos: 1 });
    await pub.publishAsync('so/x', 'zero', { qos: 0 });

    const received = await drain(pub, sub, got);
    assert.deepEqual(countBy(received), { a: 2, b: 2, c: 2, zero: 2 });
    for (const payload of ['a', 'b', 'c']) {
      const copies = received.filter((m) => m.payload === payload).map((m) => ({ id: m.properties?.subscriptionIdentifier, qos: m.qos }));
      copies.sort((x, y) => Number(x.id) - Number(y.id));
      assert.deepEqual(copies, [
        { id: 1, qos: 1 },
        { id: 2, qos: 0 },
      ]);
    }
    // Someone with one subscription still gets one copy.
    assert.deepEqual(countBy(await drain(pub, plain, plainGot)), { a: 1, b: 1, c: 1, zero: 1 });
  });

  test('v5 with Receive Maximum 1: both copies still arrive while flow control holds them', async () => {
    const sub = await h.connect({ protocolVersion: 5, clientId: 'so-window', properties: { receiveMaximum: 1 } });
    const pub = await h.connect({ protocolVersion: 5 });
    await sub.subscribeAsync('$share/w/sw/+', { qos: 1 });
    await sub.subscribeAsync('sw/#', { qos: 1 });
    const got = collect(sub);
    for (const payload of ['a', 'b', 'c', 'd']) await pub.publishAsync('sw/x', payload, { qos: 1 });
    assert.deepEqual(countBy(await drain(pub, sub, got)), { a: 2, b: 2, c: 2, d: 2 });
  });

  test('3.1.1: $queue and a normal subscription each deliver', async () => {
    const sub = await h.connect({ protocolVersion: 4, clientId: 'so-v4' });
    const pub = await h.connect({ protocolVersion: 4 });
    await sub.subscribeAsync('$queue/sq/+', { qos: 1 });
    await sub.subscribeAsync('sq/+', { qos: 1 });
    const got = collect(sub);
    for (const payload of ['a', 'b']) await pub.publishAsync('sq/x', payload, { qos: 1 });
    assert.deepEqual(countBy(await drain(pub, sub, got)), { a: 2, b: 2 });
  });
});
