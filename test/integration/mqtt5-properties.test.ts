import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startHarness } from '../helpers/mqtt-harness.js';
import { collect, connectWithAck, drain, mosquitto, sleep, until } from '../helpers/mqtt5.js';

const APPLICATION_PROPERTIES = {
  payloadFormatIndicator: true,
  contentType: 'application/json; charset=utf-8',
  responseTopic: 'reply/to/me',
  correlationData: Buffer.from([0, 1, 2, 255]),
  userProperties: { z: 'last-key-first', a: ['1', '2', '3'], m: 'mid' },
};

// Publish properties forwarded unchanged [MQTT-3.3.2-4, -15..20] and Message Expiry [3.3.2.3.3].
describe('MQTT 5 publish properties and message expiry', () => {
  test('payload format, content type, response topic, correlation data and user properties arrive unchanged, in order', async () => {
    const h = await startHarness();
    try {
      const sub = await h.connect({ protocolVersion: 5 });
      const got = collect(sub);
      await sub.subscribeAsync('p/#', { qos: 2 });
      const pub = await h.connect({ protocolVersion: 5 });
      for (const qos of [0, 1, 2] as const) await pub.publishAsync(`p/${qos}`, '{"v":1}', { qos, properties: APPLICATION_PROPERTIES });
      const messages = await drain(pub, sub, got);
      assert.equal(messages.length, 3);
      for (const m of messages) {
        const p = m.properties!;
        assert.equal(p.payloadFormatIndicator, true);
        assert.equal(p.contentType, APPLICATION_PROPERTIES.contentType);
        assert.equal(p.responseTopic, 'reply/to/me');
        assert.deepEqual(p.correlationData, APPLICATION_PROPERTIES.correlationData);
        // Key order and the order of repeated keys survive.
        assert.deepEqual(Object.entries(p.userProperties!), Object.entries(APPLICATION_PROPERTIES.userProperties));
      }
    } finally {
      await h.close();
    }
  });

  test('3.1.1 subscribers get the message without properties; v5 subscribers with them', async () => {
    const h = await startHarness();
    try {
      const old = await h.connect({ protocolVersion: 4 });
      const oldGot = collect(old);
      await old.subscribeAsync('mixed/t', { qos: 1 });
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('mixed/t', 'hi', { qos: 1, properties: APPLICATION_PROPERTIES });
      await until(() => oldGot.length === 1);
      assert.equal(oldGot[0]!.payload, 'hi');
      assert.equal(oldGot[0]!.properties, undefined);
    } finally {
      await h.close();
    }
  });

  test('mosquitto_pub -V mqttv5 properties reach mosquitto_sub -V mqttv5', async () => {
    const h = await startHarness({ retained: true });
    try {
      const base = ['-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5'];
      await mosquitto('mosquitto_pub', [
        ...base, '-r', '-q', '1', '-t', 'mp/t', '-m', 'body',
        '-D', 'publish', 'content-type', 'text/x', '-D', 'publish', 'response-topic', 'r/t',
        '-D', 'publish', 'correlation-data', 'cd', '-D', 'publish', 'payload-format-indicator', '1',
        '-D', 'publish', 'user-property', 'k', 'v1', '-D', 'publish', 'user-property', 'k', 'v2',
      ]).done;
      const out = await mosquitto('mosquitto_sub', [...base, '-t', 'mp/t', '-C', '1', '-W', '20', '-F', '%p|%C|%R|%D|%F|%P']).done;
      assert.equal(out.trim(), 'body|text/x|r/t|cd|1|k:v1 k:v2');
    } finally {
      await h.close();
    }
  });

  test('an expired message is not delivered from the offline queue; a live one carries the remaining interval', async () => {
    const h = await startHarness();
    try {
      const options = { clientId: 'expiry-queue', clean: false, properties: { sessionExpiryInterval: 60 } };
      const first = await connectWithAck(h, options);
      await first.client.subscribeAsync('exp/#', { qos: 1 });
      await first.client.endAsync();
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('exp/short', 'expires', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await pub.publishAsync('exp/long', 'lives', { qos: 1, properties: { messageExpiryInterval: 100 } });
      await sleep(2200);
      const again = await connectWithAck(h, options);
      const messages = await drain(pub, again.client, again.got);
      assert.deepEqual(
        messages.map((m) => m.payload),
        ['lives'],
      );
      // Decremented by the time it waited (at least 2 s), never above what was published.
      const remaining = messages[0]!.properties?.messageExpiryInterval;
      assert.ok(remaining !== undefined && remaining <= 98 && remaining > 0, `remaining ${remaining}`);
    } finally {
      await h.close();
    }
  });

  test('an online subscriber gets the Message Expiry Interval it was published with (no time waited)', async () => {
    const h = await startHarness();
    try {
      const sub = await h.connect({ protocolVersion: 5 });
      const got = collect(sub);
      await sub.subscribeAsync('live/exp', { qos: 1 });
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('live/exp', 'x', { qos: 1, properties: { messageExpiryInterval: 30 } });
      const [m] = await drain(pub, sub, got);
      const remaining = m!.properties?.messageExpiryInterval;
      assert.ok(remaining !== undefined && remaining <= 30 && remaining >= 1, `remaining ${remaining}`);
    } finally {
      await h.close();
    }
  });
});
