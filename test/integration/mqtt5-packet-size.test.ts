import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, nextMessages, startHarness } from '../helpers/mqtt-harness.js';
import { watchSubscription, mosquitto } from '../helpers/mqtt5.js';
import { nextPacket, packetsUntilClose, rawConnect, rawSubscribe } from '../helpers/mqtt5-raw.js';

const LIMIT = 4096;

describe('MQTT 5 Maximum Packet Size', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mqtt5: { maxPacketSize: LIMIT } });
  });
  after(async () => {
    await h.close();
  });

  test('CONNACK advertises the server Maximum Packet Size (mqtt.max_packet_size)', async () => {
    const c = h.open({ protocolVersion: 5 });
    const connack = await new Promise<{ properties?: Record<string, unknown> }>((resolve) => c.once('connect', resolve));
    assert.equal(connack.properties?.maximumPacketSize, LIMIT);
  });

  test('a v5 client sending a larger packet gets DISCONNECT 0x95; a packet within the limit is fine', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'ps-big' });
    client.send({ cmd: 'publish', topic: 'ps/in', payload: Buffer.alloc(LIMIT - 100), qos: 1, messageId: 1 });
    assert.equal((await nextPacket(client)).cmd, 'puback');
    client.send({ cmd: 'publish', topic: 'ps/in', payload: Buffer.alloc(LIMIT + 1), qos: 1, messageId: 2 });
    const packets = await packetsUntilClose(client);
    const disconnect = packets.find((p) => p.cmd === 'disconnect');
    assert.equal(disconnect?.reasonCode, 0x95);
    assert.ok(!packets.some((p) => p.cmd === 'puback' && p.messageId === 2));
  });

  test('a message too large for one subscriber is dropped for it only; others get it', async () => {
    const small = await h.connect({ protocolVersion: 5, properties: { maximumPacketSize: 200 } });
    const plain = await h.connect({ protocolVersion: 5 });
    await small.subscribeAsync('ps/out', { qos: 1 });
    await plain.subscribeAsync('ps/out', { qos: 1 });
    const toSmall = nextMessages(small, 2);
    const toPlain = nextMessages(plain, 3);
    const pub = await h.connect({ protocolVersion: 5 });
    await pub.publishAsync('ps/out', 'fits', { qos: 1 });
    await pub.publishAsync('ps/out', 'x'.repeat(300), { qos: 1 });
    // Within 200 bytes on its own, but not with its properties.
    await pub.publishAsync('ps/out', 'y'.repeat(100), { qos: 0, properties: { userProperties: { pad: 'z'.repeat(120) } } });
    await pub.publishAsync('ps/out', 'after', { qos: 0 });
    assert.deepEqual((await toSmall).map((m) => m.payload), ['fits', 'after']);
    assert.deepEqual((await toPlain).map((m) => m.payload.length), [4, 300, 100]);
  });

  test('the dropped message does not hold up a flow-controlled subscriber (no slot is used)', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'ps-window', properties: { maximumPacketSize: 200, receiveMaximum: 1 } });
    try {
      await rawSubscribe(client, 'ps/win', 1);
      await h.broker.api.publish({ topic: 'ps/win', payload: 'z'.repeat(500), qos: 1 });
      await h.broker.api.publish({ topic: 'ps/win', payload: 'next', qos: 1 });
      const p = await nextPacket(client);
      assert.equal(p.cmd, 'publish');
      assert.equal(Buffer.from(p.payload as Buffer).toString(), 'next');
    } finally {
      client.close();
    }
  });

  test('mosquitto_sub -V mqttv5 with maximum-packet-size 200 skips the large message', async () => {
    const { ready: subscribed } = await watchSubscription(h, 'mosq-ps');
    const run = mosquitto('mosquitto_sub', [
      '-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5', '-q', '1', '-i', 'mosq-ps',
      '-D', 'connect', 'maximum-packet-size', '200', '-t', 'ps/mosq', '-C', '1',
    ]).exited;
    await subscribed;
    await h.broker.api.publish({ topic: 'ps/mosq', payload: 'L'.repeat(1000), qos: 1 });
    await h.broker.api.publish({ topic: 'ps/mosq', payload: 'small one', qos: 1 });
    const { code, out } = await run;
    assert.equal(code, 0, out);
    assert.equal(out.trim(), 'small one');
  });

  test('MQTT 3.1.1: an oversized packet closes the connection (no DISCONNECT); large deliveries are not limited', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'ps-v4', protocolVersion: 4 });
    await rawSubscribe(client, 'ps/v4', 0);
    await h.broker.api.publish({ topic: 'ps/v4', payload: 'q'.repeat(3000), qos: 0 });
    const big = await nextPacket(client);
    assert.equal((big as { payload?: Buffer }).payload?.length, 3000);
    client.send({ cmd: 'publish', topic: 'ps/v4', payload: Buffer.alloc(LIMIT + 1), qos: 0 });
    const packets = await packetsUntilClose(client);
    assert.ok(!packets.some((p) => p.cmd === 'disconnect'));
  });
});
