/**
 * delayed-publish refusing a message, over real sockets with MQTT.js: an MQTT 5 publisher's
 * PUBACK/PUBREC carries 0x90 (invalid interval or malformed topic) or 0x97 (max_delayed_messages)
 * with a Reason String; MQTT 3 publishers and QoS 0 get the old behaviour (acked, dropped, logged).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient, type Packet } from 'mqtt';
import { pino } from 'pino';
import type { Broker } from '../../src/broker/broker.js';
import { delayedPublish, QUOTA_EXCEEDED, TOPIC_NAME_INVALID } from '../../src/modules/delayed-publish/index.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { moduleContext, startTcpBroker } from '../helpers/module-context.js';

interface Ack {
  error: (Error & { code?: number }) | undefined;
  reasonCode: number;
  reasonString: string | undefined;
}

/** Publishes and resolves with the broker's answer (PUBACK / PUBREC / PUBCOMP) instead of throwing. */
function publishAck(client: MqttClient, topic: string, payload: string, opts: IClientPublishOptions): Promise<Ack> {
  return new Promise((resolve) => {
    client.publish(topic, payload, opts, (error, packet?: Packet) => {
      const p = packet as { reasonCode?: number; properties?: { reasonString?: string } } | undefined;
      resolve({ error: (error ?? undefined) as Ack['error'], reasonCode: p?.reasonCode ?? 0, reasonString: p?.properties?.reasonString });
    });
  });
}

interface Fixture {
  broker: Broker;
  url: string;
  dir: string;
  instance: ModuleInstance;
  logs: Array<{ msg: string; topic?: string }>;
  clients: MqttClient[];
  /** Topics the subscriber got (d/# and $delayed/#), markers excluded. */
  seen: string[];
  sub: MqttClient;
  connect(options: IClientOptions): Promise<MqttClient>;
  /** Resolves once everything published before it by `client` has reached the subscriber. */
  flush(client: MqttClient): Promise<void>;
}

async function startFixture(max: number): Promise<Fixture> {
  const { broker, url } = await startTcpBroker();
  const dir = await mkdtemp(join(tmpdir(), 'modmq-delayed-reason-'));
  const logs: Fixture['logs'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line !== '') logs.push(JSON.parse(line) as Fixture['logs'][number]);
      cb();
    },
  });
  const ctx = { ...moduleContext(broker, 'delayed'), dataDir: async () => dir, log: pino({ level: 'warn' }, sink) };
  const instance = await delayedPublish.create(ctx, { max_delayed_messages: max });
  const clients: MqttClient[] = [];
  const connect = async (options: IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
    clients.push(c);
    return c;
  };
  const sub = await connect({ clientId: 'sub', protocolVersion: 5 });
  const seen: string[] = [];
  sub.on('message', (topic) => {
    if (!topic.startsWith('marker/')) seen.push(topic);
  });
  await sub.subscribeAsync(['d/#', '$delayed/#', 'marker/#'], { qos: 1 });
  let n = 0;
  const flush = async (client: MqttClient): Promise<void> => {
    const marker = `marker/${n++}`;
    const got = new Promise<void>((resolve) => {
      const on = (topic: string): void => {
        if (topic !== marker) return;
        sub.off('message', on);
        resolve();
      };
      sub.on('message', on);
    });
    await client.publishAsync(marker, 'm', { qos: 1 });
    await got;
  };
  return { broker, url, dir, instance, logs, clients, seen, sub, connect, flush };
}

async function stopFixture(f: Fixture): Promise<void> {
  await Promise.all(f.clients.map((c) => c.endAsync(true)));
  await f.instance.stop();
  await f.broker.close();
  await rm(f.dir, { recursive: true, force: true });
}

describe('delayed publish reason codes (no limit)', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture(0);
  });
  after(async () => {
    await stopFixture(f);
  });

  for (const qos of [1, 2] as const) {
    test(`MQTT 5 QoS ${qos}: invalid interval and malformed topic answer 0x90 with a reason string; nothing routed`, async () => {
      const pub = await f.connect({ clientId: `pub5-q${qos}`, protocolVersion: 5 });
      const before = f.seen.length;
      for (const topic of ['$delayed/soon/d/bad', '$delayed/10', '$delayed/-1/d/neg', '$delayed/10/', '$delayed/99999999999/d/far']) {
        const ack = await publishAck(pub, topic, 'x', { qos });
        assert.equal(ack.reasonCode, TOPIC_NAME_INVALID, topic);
        assert.equal(ack.error?.code, TOPIC_NAME_INVALID, `${topic}: MQTT.js reports the refusal`);
        assert.match(ack.reasonString ?? '', /invalid \$delayed topic/, topic);
      }
      // The session is intact: the next message with a reused packet id is held and delivered.
      const ok = await publishAck(pub, '$delayed/0/d/after', 'a', { qos });
      assert.equal(ok.error, undefined);
      assert.equal(ok.reasonCode, 0, 'a held message keeps success (0x00)');
      await waitSeen(f, 'd/after', before);
      await f.flush(pub);
      assert.deepEqual(f.seen.slice(before), ['d/after']);
      assert.ok(f.logs.some((l) => l.msg.includes('delayed publish rejected') && l.topic === '$delayed/soon/d/bad'));
    });
  }

  test('MQTT 5 with Request Problem Information = 0: the reason code without the reason string', async () => {
    const pub = await f.connect({ clientId: 'pub5-quiet', protocolVersion: 5, properties: { requestProblemInformation: false } });
    for (const qos of [1, 2] as const) {
      const ack = await publishAck(pub, '$delayed/x/d/quiet', 'q', { qos });
      assert.equal(ack.reasonCode, TOPIC_NAME_INVALID);
      assert.equal(ack.reasonString, undefined);
    }
  });

  test('MQTT 5 QoS 0: dropped with the log line, the connection stays', async () => {
    const pub = await f.connect({ clientId: 'pub5-q0', protocolVersion: 5 });
    const before = f.seen.length;
    const logged = f.logs.length;
    await pub.publishAsync('$delayed/nope/d/q0', 'z', { qos: 0 });
    await f.flush(pub);
    assert.deepEqual(f.seen.slice(before), []);
    assert.ok(f.logs.slice(logged).some((l) => l.msg.includes('delayed publish rejected') && l.topic === '$delayed/nope/d/q0'));
    assert.equal(pub.connected, true);
  });

  for (const protocolVersion of [3, 4] as const) {
    test(`MQTT ${protocolVersion === 3 ? '3.1' : '3.1.1'} QoS 1 and 2: acknowledged as before, not delivered, logged`, async () => {
      const pub = await f.connect({ clientId: `pub${protocolVersion}`, protocolVersion });
      const before = f.seen.length;
      const logged = f.logs.length;
      for (const qos of [1, 2] as const) {
        const ack = await publishAck(pub, `$delayed/bad/d/v${protocolVersion}/${qos}`, 'x', { qos });
        assert.equal(ack.error, undefined);
        assert.equal(ack.reasonCode, 0);
      }
      await f.flush(pub);
      assert.deepEqual(f.seen.slice(before), []);
      assert.equal(f.logs.slice(logged).filter((l) => l.msg.includes('delayed publish rejected')).length, 2);
      assert.equal(pub.connected, true);
    });
  }
});

describe('delayed publish reason codes (max_delayed_messages = 1)', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture(1);
  });
  after(async () => {
    await stopFixture(f);
  });

  test('over the limit: MQTT 5 QoS 1 and 2 get 0x97 Quota exceeded; MQTT 3 is acked; only the held one is delivered later', async () => {
    const pub5 = await f.connect({ clientId: 'pub5', protocolVersion: 5 });
    const pub4 = await f.connect({ clientId: 'pub4', protocolVersion: 4 });
    const held = await publishAck(pub5, '$delayed/3600/d/held', 'h', { qos: 1 });
    assert.equal(held.error, undefined);
    assert.equal(held.reasonCode, 0);
    for (const qos of [1, 2] as const) {
      const ack = await publishAck(pub5, `$delayed/1/d/over/${qos}`, 'o', { qos });
      assert.equal(ack.reasonCode, QUOTA_EXCEEDED);
      assert.equal(ack.error?.code, QUOTA_EXCEEDED);
      assert.match(ack.reasonString ?? '', /max_delayed_messages \(1\)/);
    }
    const v4 = await publishAck(pub4, '$delayed/1/d/over/v4', 'o', { qos: 1 });
    assert.equal(v4.error, undefined);
    // An invalid topic is still 0x90, whatever the quota.
    assert.equal((await publishAck(pub5, '$delayed/later/d/x', 'i', { qos: 1 })).reasonCode, TOPIC_NAME_INVALID);
    await f.flush(pub5);
    await f.flush(pub4);
    assert.deepEqual(f.seen, []);
    assert.equal(f.logs.filter((l) => l.msg.includes('max_delayed_messages reached')).length, 3);
  });
});

/** Waits for `topic` among the messages seen from index `from` on (earlier tests see the same topics). */
async function waitSeen(f: Fixture, topic: string, from: number): Promise<void> {
  if (f.seen.slice(from).includes(topic)) return;
  await new Promise<void>((resolve) => {
    const on = (t: string): void => {
      if (t !== topic) return;
      f.sub.off('message', on);
      resolve();
    };
    f.sub.on('message', on);
  });
}
