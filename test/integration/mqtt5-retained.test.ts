import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startHarness } from '../helpers/mqtt-harness.js';
import { collect, drain, mosquitto, sleep } from '../helpers/mqtt5.js';

// Retained messages with properties [3.3.1.3], Retain Handling / Retain As Published / No Local [3.8.3.1].
describe('MQTT 5 retained messages and subscription options', () => {
  test('a retained message keeps its properties; an expired one is not sent; the remaining interval is', async () => {
    const h = await startHarness({ retained: true });
    try {
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('ret/props', 'p', {
        qos: 1,
        retain: true,
        properties: { contentType: 'text/x', userProperties: { a: ['1', '2'] }, messageExpiryInterval: 100 },
      });
      await pub.publishAsync('ret/short', 'gone', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
      await sleep(2200);
      const sub = await h.connect({ protocolVersion: 5 });
      const got = collect(sub);
      await sub.subscribeAsync('ret/+', { qos: 1, properties: { subscriptionIdentifier: 5 } });
      const messages = await drain(pub, sub, got);
      assert.deepEqual(
        messages.map((m) => [m.payload, m.retain]),
        [['p', true]],
      );
      const p = messages[0]!.properties!;
      assert.equal(p.contentType, 'text/x');
      assert.deepEqual({ ...p.userProperties }, { a: ['1', '2'] });
      assert.equal(p.subscriptionIdentifier, 5);
      assert.ok(p.messageExpiryInterval !== undefined && p.messageExpiryInterval <= 98, `remaining ${p.messageExpiryInterval}`);
    } finally {
      await h.close();
    }
  });

  test('retained QoS is capped by the subscription QoS, also through a wildcard', async () => {
    const h = await startHarness({ retained: true });
    try {
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('rq/a', 'q2', { qos: 2, retain: true });
      const sub = await h.connect({ protocolVersion: 5 });
      const got = collect(sub);
      await sub.subscribeAsync('rq/+', { qos: 1 });
      const [m] = await drain(pub, sub, got);
      assert.equal(m!.qos, 1);
    } finally {
      await h.close();
    }
  });

  test('retain handling 0 sends on every SUBSCRIBE, 1 only on a new subscription, 2 never', async () => {
    const h = await startHarness({ retained: true });
    try {
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('rh/0', 'zero', { qos: 1, retain: true });
      await pub.publishAsync('rh/1', 'one', { qos: 1, retain: true });
      await pub.publishAsync('rh/2', 'two', { qos: 1, retain: true });
      const sub = await h.connect({ protocolVersion: 5 });
      const got = collect(sub);
      for (let round = 0; round < 2; round++) {
        await sub.subscribeAsync('rh/0', { qos: 1, rh: 0 });
        await sub.subscribeAsync('rh/1', { qos: 1, rh: 1 });
        await sub.subscribeAsync('rh/2', { qos: 1, rh: 2 });
      }
      const messages = await drain(pub, sub, got);
      assert.deepEqual(messages.map((m) => m.payload).sort(), ['one', 'zero', 'zero']);
    } finally {
      await h.close();
    }
  });

  test('retain as published keeps the flag on live messages; without it the flag is cleared', async () => {
    const h = await startHarness({ retained: true });
    try {
      const keep = await h.connect({ protocolVersion: 5 });
      const clear = await h.connect({ protocolVersion: 5 });
      const [kept, cleared] = [collect(keep), collect(clear)];
      await keep.subscribeAsync('rap/t', { qos: 1, rap: true });
      await clear.subscribeAsync('rap/t', { qos: 1, rap: false });
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('rap/t', 'live', { qos: 1, retain: true });
      assert.deepEqual((await drain(pub, keep, kept)).map((m) => m.retain), [true]);
      assert.deepEqual((await drain(pub, clear, cleared)).map((m) => m.retain), [false]);
    } finally {
      await h.close();
    }
  });

  test('no local: a client does not get its own messages on that subscription, others still do', async () => {
    const h = await startHarness();
    try {
      const self = await h.connect({ protocolVersion: 5 });
      const other = await h.connect({ protocolVersion: 5 });
      const [mine, theirs] = [collect(self), collect(other)];
      await self.subscribeAsync('nl/t', { qos: 1, nl: true });
      await other.subscribeAsync('nl/t', { qos: 1 });
      await self.publishAsync('nl/t', 'from self', { qos: 1 });
      await other.publishAsync('nl/t', 'from other', { qos: 1 });
      assert.deepEqual((await drain(other, self, mine)).map((m) => m.payload), ['from other']);
      assert.deepEqual((await drain(self, other, theirs)).map((m) => m.payload).sort(), ['from other', 'from self']);
    } finally {
      await h.close();
    }
  });

  test('no local holds for a persistent session: its own messages are not queued for it', async () => {
    const h = await startHarness();
    try {
      const options = { protocolVersion: 5 as const, clientId: 'nl-persist', clean: false, properties: { sessionExpiryInterval: 60 } };
      const self = await h.connect(options);
      await self.subscribeAsync('nlp/t', { qos: 1, nl: true });
      for (let i = 0; i < 3; i++) await self.publishAsync('nlp/t', `own ${i}`, { qos: 1 });
      await self.endAsync();
      const again = await h.connect(options);
      const got = collect(again);
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('nlp/t', 'foreign', { qos: 1 });
      assert.deepEqual((await drain(pub, again, got)).map((m) => m.payload), ['foreign']);
    } finally {
      await h.close();
    }
  });

  test('3.1.1: retained messages are sent on subscribe with the retain flag; live ones without it', async () => {
    const h = await startHarness({ retained: true });
    try {
      const pub = await h.connect({ protocolVersion: 4 });
      await pub.publishAsync('r4/t', 'stored', { qos: 1, retain: true });
      const sub = await h.connect({ protocolVersion: 4 });
      const got = collect(sub);
      await sub.subscribeAsync('r4/t', { qos: 1 });
      await pub.publishAsync('r4/t', 'live', { qos: 1, retain: true });
      assert.deepEqual((await drain(pub, sub, got)).map((m) => [m.payload, m.retain]), [['stored', true], ['live', false]]);
    } finally {
      await h.close();
    }
  });

  test('mosquitto_sub -V mqttv5 gets a retained message with its property and the retain flag', async () => {
    const h = await startHarness({ retained: true });
    try {
      const base = ['-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5'];
      await mosquitto('mosquitto_pub', [...base, '-r', '-q', '1', '-t', 'mr/t', '-m', 'kept', '-D', 'publish', 'content-type', 'c/t']).done;
      const out = await mosquitto('mosquitto_sub', [...base, '-q', '1', '-t', 'mr/+', '-C', '1', '-W', '20', '-F', '%r|%q|%p|%C']).done;
      assert.equal(out.trim(), '1|1|kept|c/t');
    } finally {
      await h.close();
    }
  });
});
