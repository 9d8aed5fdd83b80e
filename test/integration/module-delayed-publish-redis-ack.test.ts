/**
 * delayed-publish on Redis (cluster context, real redis-server) acknowledges a QoS 1/2 `$delayed`
 * publish only once Redis holds it. Redis down: an MQTT 5 publisher gets 0x80 and nothing goes out
 * later; an MQTT 3.1.1 publisher is disconnected without a PUBACK and its session sends the message
 * again, which is stored, acked and delivered once Redis is back. Redis hung: 0x80 after the
 * deadline, and the message Redis stores afterwards is removed. QoS 0: counted as lost.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient, type Packet } from 'mqtt';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { Broker } from '../../src/broker/broker.js';
import { redisClusterContext } from '../../src/cluster/cluster-context.js';
import { delayedPublish, STORE_DEADLINE_MS, UNSPECIFIED_ERROR } from '../../src/modules/delayed-publish/index.js';
import { DELAYED_SERVICE, type DelayedPublishService } from '../../src/modules/delayed-publish/service.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { waitFor } from '../helpers/cluster-wait.js';
import { moduleContext, startTcpBroker } from '../helpers/module-context.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

interface Ack {
  error: (Error & { code?: number }) | undefined;
  reasonCode: number;
  reasonString: string | undefined;
}

function publishAck(client: MqttClient, topic: string, payload: string, opts: IClientPublishOptions): Promise<Ack> {
  return new Promise((resolve) => {
    client.publish(topic, payload, opts, (error, packet?: Packet) => {
      const p = packet as { reasonCode?: number; properties?: { reasonString?: string } } | undefined;
      resolve({ error: (error ?? undefined) as Ack['error'], reasonCode: p?.reasonCode ?? 0, reasonString: p?.properties?.reasonString });
    });
  });
}

let redis: RedisServer;
let broker: Broker;
let url: string;
let instance: ModuleInstance;
let service: DelayedPublishService;
const metrics = new Registry();
const logs: Array<{ msg: string; topic?: string }> = [];
const clients: MqttClient[] = [];
/** `topic payload` of every message the subscriber got on d/#. */
const seen: string[] = [];
let sub: MqttClient;

async function connect(options: IClientOptions): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
  clients.push(c);
  return c;
}

async function counted(result: string): Promise<number> {
  const line = (await metrics.metrics()).split('\n').find((l) => l.startsWith(`modmq_delayed_messages_total{result="${result}"}`));
  return Number(line?.split(' ')[1] ?? 0);
}

/** Brings Redis back and waits until the module's connection stores again (a held probe, removed). */
async function redisBack(probe: MqttClient): Promise<void> {
  await redis.restart();
  await waitFor('the delayed store to answer again', async () => {
    const ack = await publishAck(probe, '$delayed/3600/probe', 'p', { qos: 1 });
    return ack.reasonCode === 0 ? true : undefined;
  });
  assert.equal(await service.deleteTopic('probe'), 1);
}

/** Everything held before it was due earlier: once `d/end/<tag>` (held 1 s) arrives, the rest is in. */
async function drain(pub: MqttClient, tag: string): Promise<void> {
  assert.equal((await publishAck(pub, `$delayed/1/d/end/${tag}`, tag, { qos: 1 })).reasonCode, 0);
  await waitFor(`d/end/${tag}`, async () => (seen.includes(`d/end/${tag} ${tag}`) ? true : undefined));
}

before(async () => {
  redis = await startRedis();
  ({ broker, url } = await startTcpBroker());
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line !== '') logs.push(JSON.parse(line) as (typeof logs)[number]);
      cb();
    },
  });
  const ctx = {
    ...moduleContext(broker, 'delayed-publish', metrics),
    cluster: redisClusterContext(redis.url, randomUUID().slice(0, 8)),
    log: pino({ level: 'warn' }, sink),
    expose: (name: string, s: unknown) => {
      if (name === DELAYED_SERVICE) service = s as DelayedPublishService;
      return () => undefined;
    },
  };
  instance = await delayedPublish.create(ctx, { max_delayed_messages: 0 });
  sub = await connect({ clientId: 'sub', protocolVersion: 5 });
  sub.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  await sub.subscribeAsync(['d/#', '$delayed/#'], { qos: 1 });
});

after(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await instance?.stop();
  await broker?.close();
  await redis?.stop();
});

describe('delayed publish on Redis: the ack waits for the store', () => {
  test('MQTT 5, Redis down: QoS 1 and 2 get 0x80 and are never delivered; Redis back: the same publish gets 0x00 and goes out after its delay', async () => {
    const pub = await connect({ clientId: 'pub5', protocolVersion: 5 });
    assert.equal((await publishAck(pub, '$delayed/1/d/x', 'before', { qos: 1 })).reasonCode, 0, 'Redis up: held, success');
    await redis.halt();
    for (const qos of [1, 2] as const) {
      const ack = await publishAck(pub, '$delayed/1/d/x', `down-${qos}`, { qos });
      assert.equal(ack.reasonCode, UNSPECIFIED_ERROR, `QoS ${qos}`);
      assert.equal(ack.error?.code, UNSPECIFIED_ERROR, 'MQTT.js reports the refusal');
      assert.match(ack.reasonString ?? '', /could not be stored/);
    }
    assert.equal(pub.connected, true, 'an MQTT 5 publisher keeps its connection');
    assert.ok((await counted('store_failed')) >= 2);
    assert.ok(logs.some((l) => l.msg.includes('refused to the publisher') && l.topic === 'd/x'));

    await redisBack(pub);
    const ack = await publishAck(pub, '$delayed/1/d/x', 'after', { qos: 1 });
    assert.equal(ack.error, undefined);
    assert.equal(ack.reasonCode, 0);
    await drain(pub, 'v5');
    // 'before' was held in the Redis that went away (restarted empty): only what Redis holds goes out.
    assert.deepEqual(seen.filter((s) => s.startsWith('d/x ')), ['d/x after']);
    assert.equal(seen.filter((s) => s.startsWith('$delayed')).length, 0, 'the $delayed topic itself never reaches subscribers');
  });

  test('MQTT 3.1.1 QoS 1, Redis down: disconnected without a PUBACK; the client sends it again and it is acked and delivered once Redis is back', async () => {
    const pub = await connect({ clientId: 'pub4', protocolVersion: 4, clean: true, reconnectPeriod: 100 });
    let closes = 0;
    pub.on('close', () => closes++);
    const failedBefore = await counted('store_failed');
    await redis.halt();
    let acked = false;
    let ackError: Error | undefined;
    const published = new Promise<void>((resolve) =>
      pub.publish('$delayed/1/d/v4', 'v4', { qos: 1 }, (error) => {
        acked = true;
        ackError = error ?? undefined;
        resolve();
      }),
    );
    await waitFor('the broker closing the MQTT 3.1.1 connection', async () => (closes > 0 ? true : undefined));
    assert.equal(acked, false, 'no PUBACK while Redis is down');
    assert.ok((await counted('store_failed')) > failedBefore, 'refused by the module, not lost on the way');

    const probe = await connect({ clientId: 'probe4', protocolVersion: 5 });
    await redisBack(probe);
    await published;
    assert.equal(acked, true, 'acked once stored (the resend after reconnecting)');
    assert.equal(ackError, undefined);
    await drain(probe, 'v4');
    assert.deepEqual(seen.filter((s) => s.startsWith('d/v4 ')), ['d/v4 v4'], 'delivered exactly once');
  });

  test('QoS 0, Redis down: no ack to carry it, so the loss is logged and counted; the connection stays', async () => {
    const pub = await connect({ clientId: 'pub0', protocolVersion: 5 });
    const lostBefore = await counted('lost');
    await redis.halt();
    await pub.publishAsync('$delayed/1/d/q0', 'q0', { qos: 0 });
    await waitFor('the QoS 0 loss counted', async () => ((await counted('lost')) > lostBefore ? true : undefined));
    assert.ok(logs.some((l) => l.msg.includes('QoS 0 message; lost') && l.topic === 'd/q0'));
    assert.equal(pub.connected, true);
    await redisBack(pub);
    await drain(pub, 'q0');
    assert.deepEqual(seen.filter((s) => s.startsWith('d/q0 ')), []);
  });

  test(`Redis hung (SIGSTOP): 0x80 after ${STORE_DEADLINE_MS} ms; what Redis stores once it answers again is removed, never delivered`, async () => {
    const pub = await connect({ clientId: 'pub-hung', protocolVersion: 5 });
    redis.pause();
    let ack: Ack;
    try {
      ack = await publishAck(pub, '$delayed/1/d/hung', 'hung', { qos: 1 });
    } finally {
      redis.resume();
    }
    assert.equal(ack.reasonCode, UNSPECIFIED_ERROR);
    await waitFor('the late write removed', async () => (logs.some((l) => l.msg.includes('stored after its deadline; removed')) ? true : undefined));
    await waitFor('nothing held for d/hung', async () => ((await service.list({ offset: 0, limit: 10, topic: 'd/hung' })).total === 0 ? true : undefined));
    await drain(pub, 'hung');
    assert.deepEqual(seen.filter((s) => s.startsWith('d/hung ')), []);
  });
});
