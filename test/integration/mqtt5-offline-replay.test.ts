import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, nextMessages, startHarness } from '../helpers/mqtt-harness.js';
import { nextPacket, rawConnect, rawSubscribe } from '../helpers/mqtt5-raw.js';
import type { RawMqttClient, RawPacket } from '../helpers/raw-mqtt-client.js';

function payloadOf(p: RawPacket): string {
  return Buffer.from((p as { payload?: Buffer }).payload ?? Buffer.alloc(0)).toString();
}

/** A persistent session subscribed to `topic`, then gone (the broker saw it leave). */
async function leavePersistentSession(h: Harness, clientId: string, topic: string, protocolVersion: 4 | 5 = 5): Promise<void> {
  const { client } = await rawConnect(h.port(), {
    clientId,
    clean: false,
    protocolVersion,
    ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 300 } } : {}),
  });
  await rawSubscribe(client, topic, 1);
  client.send({ cmd: 'disconnect' });
  await client.closedByServer();
}

/**
 * Reads QoS 1 PUBLISH packets while never acknowledging more than needed: after each batch, a QoS 0
 * marker is published (never held by flow control) and everything up to it is read, so any PUBLISH
 * the broker wrongly wrote beyond the window has arrived by then and is counted.
 */
async function readWithWindow(h: Harness, client: RawMqttClient, topic: string, window: number, total: number): Promise<{ order: string[]; maxUnacked: number }> {
  const unacked: RawPacket[] = [];
  const order: string[] = [];
  let maxUnacked = 0;
  let round = 0;
  while (order.length < total) {
    const marker = `mark-${round++}`;
    // Wait for the window to fill (or the queue to run out) before marking.
    while (unacked.length < Math.min(window, total - order.length + unacked.length)) {
      const p = await nextPacket(client);
      assert.equal(p.cmd, 'publish');
      unacked.push(p);
      order.push(payloadOf(p));
      maxUnacked = Math.max(maxUnacked, unacked.length);
    }
    await h.broker.api.publish({ topic, payload: marker, qos: 0 });
    for (;;) {
      const p = await nextPacket(client);
      assert.equal(p.cmd, 'publish');
      if (payloadOf(p) === marker) break;
      // A QoS 1 message beyond the window: recorded, so the assertion below shows it.
      unacked.push(p);
      order.push(payloadOf(p));
      maxUnacked = Math.max(maxUnacked, unacked.length);
    }
    const acked = unacked.shift();
    if (acked !== undefined) client.send({ cmd: 'puback', messageId: acked.messageId });
  }
  for (const p of unacked) client.send({ cmd: 'puback', messageId: p.messageId });
  return { order, maxUnacked };
}

describe('offline queue replay within the Receive Maximum (MQTT 5 §4.9)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('20 queued QoS 1 messages reach a client with Receive Maximum 3 in order, never more than 3 unacknowledged', async () => {
    await leavePersistentSession(h, 'replay-rm3', 'replay/rm3');
    const expected = Array.from({ length: 20 }, (_, i) => `q${i}`);
    for (const payload of expected) await h.broker.api.publish({ topic: 'replay/rm3', payload, qos: 1 });

    const { client, connack } = await rawConnect(h.port(), {
      clientId: 'replay-rm3',
      clean: false,
      properties: { sessionExpiryInterval: 300, receiveMaximum: 3 },
    });
    try {
      assert.equal((connack as { sessionPresent?: boolean }).sessionPresent, true);
      const { order, maxUnacked } = await readWithWindow(h, client, 'replay/rm3', 3, 20);
      assert.equal(maxUnacked, 3);
      assert.deepEqual(order, expected);

      // The replay is over: live QoS 1 deliveries flow again.
      await h.broker.api.publish({ topic: 'replay/rm3', payload: 'live', qos: 1 });
      const live = await nextPacket(client);
      assert.equal(live.cmd, 'publish');
      assert.equal(payloadOf(live), 'live');
    } finally {
      client.close();
    }
  });

  test('a message published live during the replay comes after the queued ones', async () => {
    await leavePersistentSession(h, 'replay-live', 'replay/live');
    for (const payload of ['q0', 'q1', 'q2', 'q3']) await h.broker.api.publish({ topic: 'replay/live', payload, qos: 1 });

    const { client } = await rawConnect(h.port(), {
      clientId: 'replay-live',
      clean: false,
      properties: { sessionExpiryInterval: 300, receiveMaximum: 1 },
    });
    try {
      const first = await nextPacket(client);
      assert.equal(payloadOf(first), 'q0');
      // The window (1) is full and three queued messages wait: this one must wait behind them.
      await h.broker.api.publish({ topic: 'replay/live', payload: 'live', qos: 1 });
      const order = [payloadOf(first)];
      let last = first;
      while (order.length < 5) {
        client.send({ cmd: 'puback', messageId: last.messageId });
        last = await nextPacket(client);
        assert.equal(last.cmd, 'publish');
        order.push(payloadOf(last));
      }
      assert.deepEqual(order, ['q0', 'q1', 'q2', 'q3', 'live']);
    } finally {
      client.close();
    }
  });

  test('QoS 2: a replayed message holds its slot until PUBCOMP', async () => {
    const { client: first } = await rawConnect(h.port(), { clientId: 'replay-q2', clean: false, properties: { sessionExpiryInterval: 300 } });
    await rawSubscribe(first, 'replay/q2', 2);
    first.send({ cmd: 'disconnect' });
    await first.closedByServer();
    for (const payload of ['a', 'b']) await h.broker.api.publish({ topic: 'replay/q2', payload, qos: 2 });

    const { client } = await rawConnect(h.port(), {
      clientId: 'replay-q2',
      clean: false,
      properties: { sessionExpiryInterval: 300, receiveMaximum: 1 },
    });
    try {
      const a = await nextPacket(client);
      assert.equal(payloadOf(a), 'a');
      client.send({ cmd: 'pubrec', messageId: a.messageId });
      const rel = await nextPacket(client);
      assert.equal(rel.cmd, 'pubrel');
      // Still in flight after PUBREC: a QoS 0 marker arrives before 'b'.
      await h.broker.api.publish({ topic: 'replay/q2', payload: 'mark', qos: 0 });
      assert.equal(payloadOf(await nextPacket(client)), 'mark');
      client.send({ cmd: 'pubcomp', messageId: a.messageId });
      const b = await nextPacket(client);
      assert.equal(payloadOf(b), 'b');
      assert.equal((b as { qos?: number }).qos, 2);
    } finally {
      client.close();
    }
  });

  test('a queued message that expired is dropped without keeping its slot', async () => {
    await leavePersistentSession(h, 'replay-expiry', 'replay/exp');
    const pub = await h.connect({ protocolVersion: 5 });
    await pub.publishAsync('replay/exp', 'keep0', { qos: 1 });
    await pub.publishAsync('replay/exp', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.publishAsync('replay/exp', 'keep1', { qos: 1 });
    // Message Expiry is in seconds: wait until 'short' has surely expired.
    await new Promise((r) => setTimeout(r, 1200));

    const { client } = await rawConnect(h.port(), {
      clientId: 'replay-expiry',
      clean: false,
      properties: { sessionExpiryInterval: 300, receiveMaximum: 1 },
    });
    try {
      const first = await nextPacket(client);
      assert.equal(payloadOf(first), 'keep0');
      client.send({ cmd: 'puback', messageId: first.messageId });
      // 'short' is dropped; had it kept the only slot, nothing more would come.
      const second = await nextPacket(client);
      assert.equal(payloadOf(second), 'keep1');
      client.send({ cmd: 'puback', messageId: second.messageId });
      await h.broker.api.publish({ topic: 'replay/exp', payload: 'live', qos: 1 });
      assert.equal(payloadOf(await nextPacket(client)), 'live');
    } finally {
      client.close();
    }
  });

  test('MQTT.js v5 with Receive Maximum 2 and automatic acknowledgements gets the whole queue', async () => {
    await leavePersistentSession(h, 'replay-mqttjs', 'replay/js');
    const expected = Array.from({ length: 10 }, (_, i) => `j${i}`);
    for (const payload of expected) await h.broker.api.publish({ topic: 'replay/js', payload, qos: 1 });
    const client = h.open({ protocolVersion: 5, clientId: 'replay-mqttjs', clean: false, properties: { sessionExpiryInterval: 300, receiveMaximum: 2 } });
    const got = await nextMessages(client, 10);
    assert.deepEqual(
      got.map((m) => m.payload),
      expected,
    );
  });

  test('MQTT 3.1.1: the queue is replayed as before (no window)', async () => {
    await leavePersistentSession(h, 'replay-v4', 'replay/v4', 4);
    const expected = Array.from({ length: 10 }, (_, i) => `v${i}`);
    for (const payload of expected) await h.broker.api.publish({ topic: 'replay/v4', payload, qos: 1 });
    const { client } = await rawConnect(h.port(), { clientId: 'replay-v4', clean: false, protocolVersion: 4 });
    try {
      // Without acknowledging anything, the whole queue arrives.
      const order: string[] = [];
      while (order.length < 10) {
        const p = await nextPacket(client);
        assert.equal(p.cmd, 'publish');
        order.push(payloadOf(p));
      }
      assert.deepEqual(order, expected);
    } finally {
      client.close();
    }
  });
});
