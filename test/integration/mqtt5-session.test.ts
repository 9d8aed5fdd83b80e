import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startHarness } from '../helpers/mqtt-harness.js';
import { connectWithAck, drain, mosquitto, sleep } from '../helpers/mqtt5.js';

// MQTT 5 Session Expiry [3.1.2.11.2] and offline queueing [4.1], plus the MQTT 3.1.1 clean=false session.
describe('MQTT 5 session expiry and offline queueing', () => {
  test('a persistent v5 session gets the messages published while it was away, in order, with their properties', async () => {
    const h = await startHarness();
    try {
      const first = await connectWithAck(h, { clientId: 'queue-v5', clean: false, properties: { sessionExpiryInterval: 30 } });
      assert.equal(first.sessionPresent, false);
      await first.client.subscribeAsync('q/#', { qos: 1 });
      await first.client.endAsync();

      const pub = await h.connect({ protocolVersion: 5 });
      for (let i = 0; i < 3; i++) {
        await pub.publishAsync(`q/${i}`, `m${i}`, {
          qos: 1,
          properties: {
            contentType: 'text/plain',
            correlationData: Buffer.from([i]),
            userProperties: { k: ['a', 'b'], n: String(i) },
          },
        });
      }
      const again = await connectWithAck(h, { clientId: 'queue-v5', clean: false, properties: { sessionExpiryInterval: 30 } });
      assert.equal(again.sessionPresent, true);
      const got = await drain(pub, again.client, again.got);
      assert.deepEqual(
        got.map((m) => m.payload),
        ['m0', 'm1', 'm2'],
      );
      assert.equal(got[1]!.properties?.contentType, 'text/plain');
      assert.deepEqual(got[1]!.properties?.correlationData, Buffer.from([1]));
      assert.deepEqual({ ...got[2]!.properties?.userProperties }, { k: ['a', 'b'], n: '2' });
    } finally {
      await h.close();
    }
  });

  test('Session Expiry Interval 0 (the v5 default) ends the session at disconnect', async () => {
    const h = await startHarness();
    try {
      const first = await connectWithAck(h, { clientId: 'ephemeral', clean: false });
      await first.client.subscribeAsync('e/1', { qos: 1 });
      await first.client.endAsync();
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('e/1', 'lost', { qos: 1 });
      const again = await connectWithAck(h, { clientId: 'ephemeral', clean: false });
      assert.equal(again.sessionPresent, false);
      await pub.publishAsync('e/1', 'not subscribed', { qos: 1 });
      assert.deepEqual(await drain(pub, again.client, again.got), []);
    } finally {
      await h.close();
    }
  });

  test('a session is gone once its expiry interval has passed, and kept before', async () => {
    const h = await startHarness();
    try {
      const first = await connectWithAck(h, { clientId: 'short', clean: false, properties: { sessionExpiryInterval: 1 } });
      await first.client.subscribeAsync('s/1', { qos: 1 });
      await first.client.endAsync();
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('s/1', 'queued', { qos: 1 });
      // Lower bound only: the session must have outlived its 1 s interval.
      await sleep(2500);
      const again = await connectWithAck(h, { clientId: 'short', clean: false, properties: { sessionExpiryInterval: 1 } });
      assert.equal(again.sessionPresent, false);
      assert.deepEqual(await drain(pub, again.client, again.got), []);
    } finally {
      await h.close();
    }
  });

  test('DISCONNECT may shorten the interval to 0 (session ends) or lengthen it (session kept)', async () => {
    const h = await startHarness();
    try {
      const ending = await connectWithAck(h, { clientId: 'shorten', clean: false, properties: { sessionExpiryInterval: 60 } });
      await ending.client.subscribeAsync('d/1', { qos: 1 });
      await ending.client.endAsync(false, { properties: { sessionExpiryInterval: 0 } });

      const kept = await connectWithAck(h, { clientId: 'lengthen', clean: false, properties: { sessionExpiryInterval: 1 } });
      await kept.client.subscribeAsync('d/2', { qos: 1 });
      await kept.client.endAsync(false, { properties: { sessionExpiryInterval: 60 } });

      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('d/2', 'kept', { qos: 1 });
      await sleep(2500);
      const shortened = await connectWithAck(h, { clientId: 'shorten', clean: false, properties: { sessionExpiryInterval: 60 } });
      assert.equal(shortened.sessionPresent, false);
      const lengthened = await connectWithAck(h, { clientId: 'lengthen', clean: false, properties: { sessionExpiryInterval: 60 } });
      assert.equal(lengthened.sessionPresent, true);
      assert.deepEqual(
        (await drain(pub, lengthened.client, lengthened.got)).map((m) => m.payload),
        ['kept'],
      );
    } finally {
      await h.close();
    }
  });

  test('clean start discards a stored session even when the new one is persistent', async () => {
    const h = await startHarness();
    try {
      const first = await connectWithAck(h, { clientId: 'restart', clean: false, properties: { sessionExpiryInterval: 60 } });
      await first.client.subscribeAsync('c/1', { qos: 1 });
      await first.client.endAsync();
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('c/1', 'old session', { qos: 1 });
      const again = await connectWithAck(h, { clientId: 'restart', clean: true, properties: { sessionExpiryInterval: 60 } });
      assert.equal(again.sessionPresent, false);
      await pub.publishAsync('c/1', 'no subscription any more', { qos: 1 });
      assert.deepEqual(await drain(pub, again.client, again.got), []);
    } finally {
      await h.close();
    }
  });

  test('3.1.1: a clean=false session keeps its subscriptions and queue; clean=true drops them', async () => {
    const h = await startHarness();
    try {
      const first = await connectWithAck(h, { clientId: 'v4-session', clean: false, protocolVersion: 4 });
      await first.client.subscribeAsync('v4/#', { qos: 1 });
      await first.client.endAsync();
      const pub = await h.connect({ protocolVersion: 4 });
      await pub.publishAsync('v4/a', 'one', { qos: 1 });
      await pub.publishAsync('v4/b', 'two', { qos: 1 });
      const again = await connectWithAck(h, { clientId: 'v4-session', clean: false, protocolVersion: 4 });
      assert.equal(again.sessionPresent, true);
      assert.deepEqual(
        (await drain(pub, again.client, again.got)).map((m) => m.payload),
        ['one', 'two'],
      );
      await again.client.endAsync();
      const cleaned = await connectWithAck(h, { clientId: 'v4-session', clean: true, protocolVersion: 4 });
      assert.equal(cleaned.sessionPresent, false);
    } finally {
      await h.close();
    }
  });

  test('mosquitto clients: a v5 session (-c -x) collects a message while offline', async () => {
    const h = await startHarness();
    try {
      const base = ['-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5'];
      await mosquitto('mosquitto_sub', [...base, '-c', '-x', '30', '-i', 'mosq-session', '-q', '1', '-t', 'mosq/q', '-E']).done;
      await mosquitto('mosquitto_pub', [...base, '-q', '1', '-t', 'mosq/q', '-m', 'while away', '-D', 'publish', 'content-type', 'text/x']).done;
      const out = await mosquitto('mosquitto_sub', [...base, '-c', '-x', '30', '-i', 'mosq-session', '-q', '1', '-t', 'mosq/q', '-C', '1', '-W', '20', '-F', '%p|%C']).done;
      assert.equal(out.trim(), 'while away|text/x');
    } finally {
      await h.close();
    }
  });
});
