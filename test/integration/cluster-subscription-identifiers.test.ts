/**
 * MQTT 5 Subscription Identifiers on messages queued for an offline persistent session in a
 * cluster: the message is queued by the node where it was published, which did not see the
 * SUBSCRIBEs (made on another node) or saw older ones; the queued copy still carries the
 * identifiers of all matching subscriptions as they are now (offline-queue.ts).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import type { NodeProcess } from '../helpers/node-process.js';
import { until } from '../helpers/mqtt5.js';
import { clientGone as gone } from '../helpers/cluster-wait.js';

let cluster: TestCluster;
let n1: NodeProcess;
let n2: NodeProcess;
let redis: Redis;
before(async () => {
  cluster = await startCluster({ nodes: 2 });
  [n1, n2] = cluster.nodes as [NodeProcess, NodeProcess];
  redis = new Redis(cluster.redis.url);
  redis.on('error', () => undefined);
});
after(async () => {
  redis.disconnect();
  await cluster.stop();
});

interface Received {
  topic: string;
  properties: IPublishPacket['properties'];
}

function collect(client: MqttClient): Received[] {
  const got: Received[] = [];
  client.on('message', (topic, _payload, packet) => got.push({ topic, properties: packet.properties }));
  return got;
}

const session = (clientId: string): IClientOptions => ({ clientId, protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 300 } });

/** The client's offline queue in the cluster's Redis (aedes-persistence-redis list of packet keys). */
const queued = (clientId: string): Promise<number> => redis.llen(`modmq:{${cluster.name}}:aedes:outgoing:${clientId}`);

/**
 * Connects CLIENT_ID's persistent session on NODE, makes each subscription (filter, identifier) in
 * its own SUBSCRIBE and leaves. With PROBE, first waits until messages published on PROBE's node
 * reach it: that node's topic index knows the new subscriptions (they travel through Redis).
 */
async function subscribeAndLeave(node: NodeProcess, clientId: string, subs: Array<[string, number]>, probe?: { from: NodeProcess; topic: string }): Promise<void> {
  const client = await node.connect(session(clientId));
  const got = collect(client);
  for (const [filter, id] of subs) await client.subscribeAsync(filter, { qos: 1, properties: { subscriptionIdentifier: id } });
  if (probe !== undefined) {
    const prober = await probe.from.connect({ clientId: `${clientId}-probe` });
    for (let i = 0; i < 200 && !got.some((m) => m.topic === probe.topic); i++) {
      await prober.publishAsync(probe.topic, 'probe', { qos: 0 });
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(got.some((m) => m.topic === probe.topic), `${probe.topic} never routed`);
    await prober.endAsync();
  }
  await client.endAsync();
  await gone(node, clientId);
}

/** Publishes TOPIC at QoS 1 on NODE and waits until NODE routed it (so it is queued). */
async function publishOn(node: NodeProcess, topic: string): Promise<void> {
  // aedes acknowledges QoS 1 before it routes; it queues before it delivers to a local watcher.
  const id = topic.replaceAll('/', '-');
  const watcher = await node.connect({ clientId: `watch-${id}`, protocolVersion: 5 });
  await watcher.subscribeAsync(topic, { qos: 0 });
  const watched = collect(watcher);
  const pub = await node.connect({ clientId: `pub-${id}`, protocolVersion: 5 });
  await pub.publishAsync(topic, 'queued', { qos: 1 });
  await until(() => watched.length > 0, `${topic} routed on the publishing node`);
  await Promise.all([watcher.endAsync(), pub.endAsync()]);
}

/**
 * Resumes CLIENT_ID on NODE and returns the messages on TOPIC it gets, up to a later QoS 1 marker
 * on END (matched by one of its subscriptions), then leaves.
 */
async function resume(node: NodeProcess, clientId: string, topic: string, end: string): Promise<Received[]> {
  const client = node.open(session(clientId));
  const got = collect(client);
  const connack = await new Promise<{ sessionPresent: boolean }>((ok) => client.once('connect', (p) => ok(p)));
  assert.equal(connack.sessionPresent, true);
  await until(() => got.some((m) => m.topic === topic), `the queued ${topic}`);
  const pub = await node.connect({ clientId: `${clientId}-end`, protocolVersion: 5 });
  await pub.publishAsync(end, 'end', { qos: 1 });
  await until(() => got.some((m) => m.topic === end), `the marker ${end}`);
  await Promise.all([pub.endAsync(), client.endAsync()]);
  await gone(node, clientId);
  return got.filter((m) => m.topic === topic);
}

function identifiersOf(message: Received): number[] {
  const ids = message.properties?.subscriptionIdentifier;
  return (ids === undefined ? [] : Array.isArray(ids) ? [...ids] : [ids]).sort((a, b) => a - b);
}

for (const [resumeOn, name] of [
  [() => n2, 'n2, where it was queued'],
  [() => n1, 'n1, where it subscribed'],
] as const) {
  test(`subscribed on n1, published on n2, resumed on ${name}: one message with both identifiers`, async () => {
    const root = `sid-${name.slice(0, 2)}`;
    const clientId = `${root}-client`;
    await subscribeAndLeave(n1, clientId, [[`${root}/a/+`, 7], [`${root}/a/b`, 9]], { from: n2, topic: `${root}/a/probe` });
    await publishOn(n2, `${root}/a/b`);
    assert.equal(await queued(clientId), 1);
    const messages = await resume(resumeOn(), clientId, `${root}/a/b`, `${root}/a/end`);
    assert.equal(messages.length, 1);
    assert.deepEqual(identifiersOf(messages[0]!), [7, 9]);
  });
}

test('a new identifier given on n1 replaces the one the publishing node saw before', async () => {
  const root = 'sid-new';
  const clientId = `${root}-client`;
  await subscribeAndLeave(n1, clientId, [[`${root}/a/+`, 7], [`${root}/a/b`, 9]], { from: n2, topic: `${root}/a/probe` });
  // n2 serves the session once (it learns identifiers 7 and 9) and queues a message for it.
  await publishOn(n2, `${root}/a/b`);
  assert.deepEqual((await resume(n2, clientId, `${root}/a/b`, `${root}/a/end`)).map(identifiersOf), [[7, 9]]);

  // Back on n1: `a/+` again, now with identifier 11. Every node already routes `a/+` to the session
  // (same QoS): only its identifier changed, and it is stored before the SUBACK.
  await subscribeAndLeave(n1, clientId, [[`${root}/a/+`, 11]]);
  await publishOn(n2, `${root}/a/b`);
  assert.deepEqual((await resume(n2, clientId, `${root}/a/b`, `${root}/a/end`)).map(identifiersOf), [[9, 11]]);
});
