import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { RawMqttClient } from '../helpers/raw-mqtt-client.js';
import { type Harness, nextMessages, startHarness } from '../helpers/mqtt-harness.js';
import { watchSubscription, mosquitto } from '../helpers/mqtt5.js';
import { nextPacket, packetsUntilClose, rawConnect, rawSubscribe } from '../helpers/mqtt5-raw.js';

/** Topic and alias of every PUBLISH the client receives, as on the wire (before MQTT.js resolves it). */
function wirePublishes(client: MqttClient): Array<{ topic: string; alias: number | undefined }> {
  const seen: Array<{ topic: string; alias: number | undefined }> = [];
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'publish') seen.push({ topic: packet.topic, alias: packet.properties?.topicAlias });
  });
  return seen;
}

describe('MQTT 5 Topic Alias', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mqtt5: { maxTopicAlias: 10 } });
  });
  after(async () => {
    await h.close();
  });

  test('client to server: CONNACK advertises mqtt.max_topic_alias; MQTT.js autoUseTopicAlias and autoAssignTopicAlias resolve', async () => {
    const sub = await h.connect({ protocolVersion: 5 });
    await sub.subscribeAsync('ta/in/#', { qos: 1 });
    const got = nextMessages(sub, 6);
    for (const option of ['autoUseTopicAlias', 'autoAssignTopicAlias'] as const) {
      const pub = h.open({ protocolVersion: 5, [option]: true });
      const connack = await new Promise<{ properties?: Record<string, unknown> }>((resolve) => pub.once('connect', resolve));
      assert.equal(connack.properties?.topicAliasMaximum, 10);
      const sent = { aliases: 0 };
      pub.on('packetsend', (packet) => {
        if (packet.cmd === 'publish' && packet.properties?.topicAlias !== undefined) sent.aliases++;
      });
      for (let i = 0; i < 3; i++) {
        await pub.publishAsync(`ta/in/${option}`, `${option}-${i}`, { qos: 1, ...(option === 'autoUseTopicAlias' ? { properties: { topicAlias: 1 } } : {}) });
      }
      assert.ok(sent.aliases >= 2, `${option}: MQTT.js used aliases`);
    }
    const messages = await got;
    assert.deepEqual(
      messages.map((m) => [m.topic, m.payload]),
      [0, 1, 2].map((i) => ['ta/in/autoUseTopicAlias', `autoUseTopicAlias-${i}`]).concat([0, 1, 2].map((i) => ['ta/in/autoAssignTopicAlias', `autoAssignTopicAlias-${i}`])),
    );
    // The alias belongs to the publisher's connection: subscribers never see it.
    assert.ok(messages.every((m) => m.properties?.topicAlias === undefined));
  });

  test('client to server: alias 0 or above the maximum gets DISCONNECT 0x94; an alias never set, 0x82', async () => {
    for (const [alias, topic, reasonCode] of [
      [11, 'ta/x', 0x94],
      [0, 'ta/x', 0x94],
      [11, '', 0x94],
      // MQTT 5 3.3.2.3.4: an empty topic with an alias that has no mapping is a Protocol Error.
      [3, '', 0x82],
    ] as const) {
      const { client } = await rawConnect(h.port(), { clientId: `ta-bad-${alias}-${topic.length}` });
      client.send({ cmd: 'publish', topic: 'ta/set', payload: 'x', qos: 0, properties: { topicAlias: 2 } });
      client.send({ cmd: 'publish', topic, payload: 'x', qos: 0, properties: { topicAlias: alias } });
      const packets = await packetsUntilClose(client);
      assert.equal(packets.at(-1)?.cmd, 'disconnect', `alias ${alias}`);
      assert.equal(packets.at(-1)?.reasonCode, reasonCode, `alias ${alias} topic '${topic}'`);
    }
  });

  test('client to server: an alias set earlier on the connection resolves with an empty topic', async () => {
    const sub = await h.connect({ protocolVersion: 5 });
    await sub.subscribeAsync('ta/known', { qos: 0 });
    const got = nextMessages(sub, 2);
    const { client } = await rawConnect(h.port(), { clientId: 'ta-known' });
    try {
      client.send({ cmd: 'publish', topic: 'ta/known', payload: 'first', qos: 0, properties: { topicAlias: 3 } });
      client.send({ cmd: 'publish', topic: '', payload: 'second', qos: 0, properties: { topicAlias: 3 } });
      assert.deepEqual((await got).map((m) => [m.topic, m.payload]), [['ta/known', 'first'], ['ta/known', 'second']]);
    } finally {
      client.close();
    }
  });

  test('server to client: MQTT.js with topicAliasMaximum 2 gets aliases (never above 2) and the right topics', async () => {
    const sub = await h.connect({ protocolVersion: 5, properties: { topicAliasMaximum: 2 } });
    const wire = wirePublishes(sub);
    await sub.subscribeAsync('ta/out/#', { qos: 0 });
    const topics = ['ta/out/a', 'ta/out/b', 'ta/out/c', 'ta/out/a', 'ta/out/b', 'ta/out/c', 'ta/out/a'];
    const got = nextMessages(sub, topics.length);
    for (const [i, topic] of topics.entries()) await h.broker.api.publish({ topic, payload: `m${i}`, qos: i % 2 === 0 ? 0 : 1 });
    const messages = await got;
    assert.deepEqual(
      messages.map((m) => [m.topic, m.payload]),
      topics.map((t, i) => [t, `m${i}`]),
    );
    const aliases = wire.map((p) => p.alias).filter((a): a is number => a !== undefined);
    assert.ok(aliases.length > 0, 'aliases were used');
    assert.ok(aliases.every((a) => a >= 1 && a <= 2), `aliases within 1..2: ${aliases.join(',')}`);
    // a and b were aliased at first sight; their repeats went with an empty topic.
    assert.deepEqual(wire.slice(0, 4), [
      { topic: 'ta/out/a', alias: 1 },
      { topic: 'ta/out/b', alias: 2 },
      { topic: 'ta/out/c', alias: undefined },
      { topic: '', alias: 1 },
    ]);
  });

  test('server to client: no Topic Alias Maximum (0) means no alias ever', async () => {
    const sub = await h.connect({ protocolVersion: 5 });
    const wire = wirePublishes(sub);
    await sub.subscribeAsync('ta/none', { qos: 1 });
    const got = nextMessages(sub, 3);
    for (let i = 0; i < 3; i++) await h.broker.api.publish({ topic: 'ta/none', payload: `n${i}`, qos: 1 });
    await got;
    assert.deepEqual(wire, Array.from({ length: 3 }, () => ({ topic: 'ta/none', alias: undefined })));
  });

  test('server to client: a persistent session gets QoS 1 with full topics (aliases do not survive a reconnect)', async () => {
    const { client } = await rawConnect(h.port(), { clientId: 'ta-persist', clean: false, properties: { topicAliasMaximum: 5, sessionExpiryInterval: 60 } });
    try {
      await rawSubscribe(client, 'ta/p', 1);
      for (let i = 0; i < 2; i++) await h.broker.api.publish({ topic: 'ta/p', payload: `p${i}`, qos: 1 });
      for (let i = 0; i < 2; i++) {
        const p = await nextPacket(client);
        assert.equal(p.cmd, 'publish');
        assert.equal((p as { topic?: string }).topic, 'ta/p');
        assert.equal(p.properties?.topicAlias, undefined);
        client.send({ cmd: 'puback', messageId: p.messageId });
      }
    } finally {
      client.close();
    }
  });

  // mosquitto_sub is not given topic-alias-maximum: libmosquitto 2.0.11 cannot resolve an alias it
  // receives (eclipse-mosquitto/mosquitto#1468), so it must not ask for them; it gets full topics.
  test('mosquitto_pub -V mqttv5 with a topic alias reaches mosquitto_sub with the full topic', async () => {
    const subscribed = await watchSubscription(h, 'mosq-ta');
    const run = mosquitto('mosquitto_sub', [
      '-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5', '-i', 'mosq-ta', '-v', '-t', 'ta/mosq/#', '-C', '3',
    ]).exited;
    await subscribed.ready;
    for (let i = 0; i < 3; i++) {
      const pub = await mosquitto('mosquitto_pub', [
        '-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5', '-D', 'publish', 'topic-alias', '1', '-t', 'ta/mosq/t', '-m', `mq${i}`,
      ]).exited;
      assert.equal(pub.code, 0, pub.out);
    }
    const { code, out } = await run;
    assert.equal(code, 0, out);
    assert.deepEqual(out.trim().split('\n'), ['ta/mosq/t mq0', 'ta/mosq/t mq1', 'ta/mosq/t mq2']);
  });

  test('MQTT 3.1.1 subscribers get full topics from an aliasing v5 publisher', async () => {
    const old = await h.connect({ protocolVersion: 4 });
    await old.subscribeAsync('ta/v4', { qos: 1 });
    const got = nextMessages(old, 3);
    const pub = await h.connect({ protocolVersion: 5, autoAssignTopicAlias: true });
    for (let i = 0; i < 3; i++) await pub.publishAsync('ta/v4', `v${i}`, { qos: 1 });
    assert.deepEqual(
      (await got).map((m) => [m.topic, m.payload]),
      [0, 1, 2].map((i) => ['ta/v4', `v${i}`]),
    );
  });
});

describe('mqtt.max_topic_alias = 0', () => {
  test('CONNACK has no Topic Alias Maximum and any alias gets DISCONNECT 0x94', async () => {
    const h = await startHarness({ mqtt5: { maxTopicAlias: 0 } });
    try {
      const { client, connack } = await rawConnect(h.port(), { clientId: 'ta-off' });
      assert.equal(connack.properties?.topicAliasMaximum, undefined);
      client.send({ cmd: 'publish', topic: 'ta/x', payload: 'x', qos: 0, properties: { topicAlias: 1 } });
      const packets = await packetsUntilClose(client);
      assert.equal(packets.at(-1)?.reasonCode, 0x94);
    } finally {
      await h.close();
    }
  });
});

describe('topic alias set before CONNACK', () => {
  test('PUBLISH with topic and alias, then with the alias only, sent before CONNACK (slow authentication)', async () => {
    const h = await startHarness();
    try {
      const sub = await h.connect({ protocolVersion: 5 });
      await sub.subscribeAsync('ta/early', { qos: 0 });
      const got = nextMessages(sub, 2);
      // Authentication waits until both PUBLISH packets have reached the broker (aedes queues them).
      let authStarted!: () => void;
      const started = new Promise<void>((r) => (authStarted = r));
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      h.broker.hooks.scope('slow-auth').authenticate(async (request) => {
        if (request.client.clientId !== 'ta-early') return { result: 'ignore' };
        authStarted();
        await released;
        return { result: 'ignore' };
      });
      const client = await RawMqttClient.connectTcp(h.port(), 5);
      client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'ta-early', keepalive: 0 });
      await started;
      client.send({ cmd: 'publish', topic: 'ta/early', payload: 'a', qos: 1, messageId: 1, properties: { topicAlias: 1 } });
      client.send({ cmd: 'publish', topic: '', payload: 'b', qos: 1, messageId: 2, properties: { topicAlias: 1 } });
      // Both reached the broker (counted as received) before the CONNACK goes out.
      const receivedQos1 = async (): Promise<number> => {
        const metric = await h.metrics.getSingleMetric('modmq_messages_received_total')!.get();
        return metric.values.find((v) => v.labels.qos === '1')?.value ?? 0;
      };
      for (let i = 0; i < 500 && (await receivedQos1()) < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await receivedQos1(), 2);
      release();
      assert.deepEqual((await got).map((m) => [m.topic, m.payload]), [['ta/early', 'a'], ['ta/early', 'b']]);
      client.close();
    } finally {
      await h.close();
    }
  });
});
