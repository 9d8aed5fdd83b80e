import assert from 'node:assert/strict';
import mqttPacket from 'mqtt-packet';
import { after, before, describe, test } from 'node:test';
import { type Harness, nextMessages, startHarness, waitFor } from '../helpers/mqtt-harness.js';
import { watchSubscription, mosquitto } from '../helpers/mqtt5.js';
import { nextPacket, packetsUntilClose, rawConnect, rawSubscribe } from '../helpers/mqtt5-raw.js';
import type { RawMqttClient } from '../helpers/raw-mqtt-client.js';

/** Payload of a PUBLISH packet as text. */
function payloadOf(p: object): string {
  return Buffer.from((p as { payload?: Buffer }).payload ?? Buffer.alloc(0)).toString();
}

/**
 * Publishes `count` QoS `qos` messages and then a QoS 0 marker on the same topic. The marker is
 * not held by flow control, and it is routed after the others: once the subscriber has it, every
 * message the broker was going to send it already arrived. No sleeping involved.
 */
async function publishThenMark(h: Harness, topic: string, qos: 1 | 2, payloads: string[], marker: string): Promise<void> {
  for (const payload of payloads) await h.broker.api.publish({ topic, payload, qos });
  await h.broker.api.publish({ topic, payload: marker, qos: 0 });
}

/** Reads PUBLISH packets up to (and including) the marker. */
async function publishesUntil(client: RawMqttClient, marker: string): Promise<Array<{ payload: string; qos: number; messageId?: number }>> {
  const got: Array<{ payload: string; qos: number; messageId?: number }> = [];
  for (;;) {
    const p = await nextPacket(client);
    if (p.cmd !== 'publish') continue;
    const payload = payloadOf(p);
    got.push({ payload, qos: p.qos, ...(p.messageId !== undefined ? { messageId: p.messageId } : {}) });
    if (payload === marker) return got;
  }
}

describe('MQTT 5 flow control (Receive Maximum)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mqtt5: { receiveMaximum: 4 } });
  });
  after(async () => {
    await h.close();
  });

  test('CONNACK advertises the server Receive Maximum to v5 clients', async () => {
    const c = h.open({ protocolVersion: 5 });
    const connack = await new Promise<{ properties?: Record<string, unknown> }>((resolve) => c.once('connect', resolve));
    assert.equal(connack.properties?.receiveMaximum, 4);
  });

  test('QoS 1: no more than the client Receive Maximum unacked; the rest follow in order as PUBACKs come', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'fc-q1', properties: { receiveMaximum: 2 } });
    try {
      await rawSubscribe(client, 'fc/q1', 1);
      await publishThenMark(h, 'fc/q1', 1, ['m1', 'm2', 'm3', 'm4', 'm5'], 'mark');
      const first = await publishesUntil(client, 'mark');
      // Two QoS 1 in flight, then the QoS 0 marker: m3..m5 wait for acknowledgements.
      assert.deepEqual(first.map((p) => p.payload), ['m1', 'm2', 'mark']);
      assert.deepEqual(first.slice(0, 2).map((p) => p.qos), [1, 1]);

      // Each PUBACK frees exactly one slot.
      const order: string[] = [];
      const pending = [...first.slice(0, 2)];
      while (order.length < 3) {
        const acked = pending.shift()!;
        client.send({ cmd: 'puback', messageId: acked.messageId });
        const p = await nextPacket(client);
        assert.equal(p.cmd, 'publish');
        order.push(payloadOf(p));
        pending.push({ payload: payloadOf(p), qos: p.qos, messageId: p.messageId! });
      }
      assert.deepEqual(order, ['m3', 'm4', 'm5']);
    } finally {
      client.close();
    }
  });

  test('QoS 2: the slot is freed by PUBCOMP, not by PUBREC', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'fc-q2', properties: { receiveMaximum: 1 } });
    try {
      await rawSubscribe(client, 'fc/q2', 2);
      await publishThenMark(h, 'fc/q2', 2, ['a', 'b'], 'mark1');
      const first = await publishesUntil(client, 'mark1');
      assert.deepEqual(first.map((p) => p.payload), ['a', 'mark1']);
      client.send({ cmd: 'pubrec', messageId: first[0]!.messageId });
      const rel = await nextPacket(client);
      assert.equal(rel.cmd, 'pubrel');
      // After PUBREC the message is still in flight: another marker overtakes 'b'.
      await h.broker.api.publish({ topic: 'fc/q2', payload: 'mark2', qos: 0 });
      const second = await publishesUntil(client, 'mark2');
      assert.deepEqual(second.map((p) => p.payload), ['mark2']);
      client.send({ cmd: 'pubcomp', messageId: first[0]!.messageId });
      const next = await nextPacket(client);
      assert.equal(next.cmd, 'publish');
      assert.equal(payloadOf(next), 'b');
    } finally {
      client.close();
    }
  });

  test('a PUBACK with an error reason code frees the slot too', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'fc-err', properties: { receiveMaximum: 1 } });
    try {
      await rawSubscribe(client, 'fc/err', 2);
      await publishThenMark(h, 'fc/err', 2, ['x', 'y'], 'mark');
      const first = await publishesUntil(client, 'mark');
      assert.deepEqual(first.map((p) => p.payload), ['x', 'mark']);
      // PUBREC >= 0x80 ends the QoS 2 exchange (MQTT 5 4.3.3).
      client.send({ cmd: 'pubrec', messageId: first[0]!.messageId, reasonCode: 0x80 });
      const next = await nextPacket(client);
      assert.equal(next.cmd, 'publish');
      assert.equal(payloadOf(next), 'y');
    } finally {
      client.close();
    }
  });

  test('a client that never acknowledges has at most 1000 messages held for it; the oldest go first', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'fc-stuck', properties: { receiveMaximum: 1 } });
    try {
      await rawSubscribe(client, 'fc/stuck', 1);
      const dropped = async (): Promise<number> => (await h.metrics.getSingleMetric('modmq_messages_dropped_total')!.get()).values[0]?.value ?? 0;
      const droppedBefore = await dropped();
      // One in flight, 1000 held, then 5 more: the 5 oldest held ones (s1..s5) are dropped.
      for (let i = 0; i < 1006; i++) await h.broker.api.publish({ topic: 'fc/stuck', payload: `s${i}`, qos: 1 });
      assert.equal((await dropped()) - droppedBefore, 5);
      const first = await nextPacket(client);
      assert.equal(payloadOf(first), 's0');
      client.send({ cmd: 'puback', messageId: first.messageId });
      const next = await nextPacket(client);
      assert.equal(payloadOf(next), 's6');
    } finally {
      client.close();
    }
  });

  test('MQTT.js with receiveMaximum 3 gets 30 QoS 1 messages, all in order', async () => {
    const sub = await h.connect({ protocolVersion: 5, properties: { receiveMaximum: 3 } });
    await sub.subscribeAsync('fc/js', { qos: 1 });
    const got = nextMessages(sub, 30);
    const pub = await h.connect({ protocolVersion: 5 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => pub.publishAsync('fc/js', `n${i}`, { qos: 1 })));
    const messages = await got;
    assert.deepEqual(
      messages.map((m) => m.payload),
      Array.from({ length: 30 }, (_, i) => `n${i}`),
    );
  });

  test('mosquitto_sub -V mqttv5 with receive-maximum 1 gets every QoS 1 message in order', async () => {
    // The watcher listens before mosquitto_sub starts, so its subscription cannot be missed.
    const { ready } = await watchSubscription(h, 'mosq-fc');
    const run = mosquitto('mosquitto_sub', [
      '-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5', '-q', '1', '-i', 'mosq-fc',
      '-D', 'connect', 'receive-maximum', '1', '-t', 'fc/mosq', '-C', '10',
    ]).exited;
    await ready;
    for (let i = 0; i < 10; i++) await h.broker.api.publish({ topic: 'fc/mosq', payload: `p${i}`, qos: 1 });
    const { code, out } = await run;
    assert.equal(code, 0, out);
    assert.deepEqual(out.trim().split('\n'), Array.from({ length: 10 }, (_, i) => `p${i}`));
  });

  test('inbound: more unacknowledged QoS 2 PUBLISH than the server Receive Maximum gets DISCONNECT 0x93', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'fc-flood' });
    // Five QoS 2 messages and no PUBREL: the fifth exceeds the server's 4.
    for (let id = 1; id <= 5; id++) client.send({ cmd: 'publish', topic: 'fc/in', payload: 'x', qos: 2, messageId: id });
    const packets = await packetsUntilClose(client);
    const disconnect = packets.find((p) => p.cmd === 'disconnect');
    assert.equal(disconnect?.reasonCode, 0x93);
    // The fifth is refused, not answered (PUBRECs of the first four may still be on their way).
    assert.ok(!packets.some((p) => p.cmd === 'pubrec' && p.messageId === 5), 'message 5 not accepted');
  });

  test('inbound: a client that keeps within the limit is never cut off (QoS 2 with PUBREL)', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'fc-polite' });
    try {
      for (let round = 0; round < 3; round++) {
        // Four in flight (the limit), then complete them all.
        for (let id = 1; id <= 4; id++) client.send({ cmd: 'publish', topic: 'fc/in', payload: 'x', qos: 2, messageId: id });
        const recs = new Set<number>();
        while (recs.size < 4) {
          const p = await nextPacket(client);
          assert.equal(p.cmd, 'pubrec');
          recs.add(p.messageId!);
        }
        for (const id of recs) client.send({ cmd: 'pubrel', messageId: id });
        const comps = new Set<number>();
        while (comps.size < 4) {
          const p = await nextPacket(client);
          assert.equal(p.cmd, 'pubcomp');
          comps.add(p.messageId!);
        }
      }
      client.send({ cmd: 'pingreq' });
      assert.equal((await client.next())?.cmd, 'pingresp');
    } finally {
      client.close();
    }
  });

  test('inbound: a QoS 1 burst beyond the limit is answered in full (QoS 1 is acknowledged as it is read)', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'fc-burst1' });
    try {
      const burst = Array.from({ length: 12 }, (_, i) => ({ cmd: 'publish', topic: 'fc/in1', payload: 'x', qos: 1, messageId: i + 1 }));
      // One write: MQTT.js does this too, as it ignores the server's Receive Maximum.
      client.socket.write(Buffer.concat(burst.map((p) => generate5(p))));
      const acked = new Set<number>();
      while (acked.size < 12) {
        const p = await nextPacket(client);
        assert.equal(p.cmd, 'puback');
        acked.add(p.messageId!);
      }
      client.send({ cmd: 'pingreq' });
      assert.equal((await client.next())?.cmd, 'pingresp');
    } finally {
      client.close();
    }
  });

  test('MQTT 3.1.1: no window and no 0x93; a v4 subscriber gets all messages unacked', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'fc-v4', protocolVersion: 4 });
    try {
      await rawSubscribe(client, 'fc/v4', 1);
      await publishThenMark(h, 'fc/v4', 1, ['1', '2', '3', '4', '5', '6'], 'mark');
      const got = await publishesUntil(client, 'mark');
      assert.deepEqual(got.map((p) => p.payload), ['1', '2', '3', '4', '5', '6', 'mark']);
      // A v4 publisher past the v5 limit stays connected.
      for (let id = 1; id <= 6; id++) client.send({ cmd: 'publish', topic: 'fc/v4in', payload: 'x', qos: 2, messageId: id });
      const recs = new Set<number>();
      while (recs.size < 6) {
        const p = await nextPacket(client);
        if (p.cmd === 'pubrec') recs.add(p.messageId!);
      }
      client.send({ cmd: 'pingreq' });
      assert.equal((await client.next())?.cmd, 'pingresp');
    } finally {
      client.close();
    }
  });
});

function generate5(packet: Record<string, unknown>): Buffer {
  return mqttPacket.generate(packet as unknown as mqttPacket.Packet, { protocolVersion: 5 });
}
