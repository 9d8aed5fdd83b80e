/**
 * Messages across the nodes of a cluster (routing via Redis pub/sub, sessions in Redis): what is
 * published on one node reaches subscribers on the others, once, with its MQTT 5 properties, and
 * a persistent session resumes on another node with what was queued while it was away.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import type { NodeProcess } from '../helpers/node-process.js';

let cluster: TestCluster;
let a: NodeProcess;
let b: NodeProcess;
before(async () => {
  cluster = await startCluster({ nodes: 2 });
  [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
});
after(async () => {
  await cluster.stop();
});

interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties: Record<string, unknown> | undefined;
}

/** Collects every message a client gets. */
function collect(client: MqttClient): Received[] {
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, properties: packet.properties as Record<string, unknown> | undefined }),
  );
  return got;
}

async function until(what: string, check: () => boolean, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/**
 * A subscription on node X is known on node Y once Y routes to it: publish probes from Y until
 * the subscriber sees one (Redis SUBSCRIBE of the new filter is asynchronous).
 */
async function routed(publisher: MqttClient, got: Received[], topic: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await publisher.publishAsync(topic, 'probe', { qos: 0 });
    if (got.some((m) => m.topic === topic)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${topic} never routed`);
}

describe('messages across nodes', () => {
  test('QoS 0/1/2 published on node B reach a subscriber on node A, once each, at the granted QoS', async () => {
    const sub = await a.connect({ clientId: 'x-sub', protocolVersion: 5 });
    await sub.subscribeAsync('x/#', { qos: 2 });
    const got = collect(sub);
    const pub = await b.connect({ clientId: 'x-pub', protocolVersion: 5 });
    await routed(pub, got, 'x/probe');
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`x/q${qos}`, `m${qos}`, { qos });
    await until('three messages', () => got.filter((m) => m.topic.startsWith('x/q')).length >= 3);
    // Let any duplicate arrive before counting.
    await pub.publishAsync('x/end', 'end', { qos: 1 });
    await until('the end marker', () => got.some((m) => m.topic === 'x/end'));
    const data = got.filter((m) => m.topic.startsWith('x/q'));
    assert.deepEqual(
      data.map((m) => [m.topic, m.payload, m.qos]),
      [
        ['x/q0', 'm0', 0],
        ['x/q1', 'm1', 1],
        ['x/q2', 'm2', 2],
      ],
    );
  });

  test('MQTT 5 properties survive the hop between nodes', async () => {
    const sub = await a.connect({ clientId: 'p-sub', protocolVersion: 5 });
    await sub.subscribeAsync('p/#', { qos: 1, properties: { subscriptionIdentifier: 7 } });
    const got = collect(sub);
    const pub = await b.connect({ clientId: 'p-pub', protocolVersion: 5 });
    await routed(pub, got, 'p/probe');
    await pub.publishAsync('p/data', 'hello', {
      qos: 1,
      properties: {
        contentType: 'text/plain',
        responseTopic: 'p/reply',
        correlationData: Buffer.from([1, 2, 3]),
        userProperties: { a: '1', b: ['2', '3'] },
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
      },
    });
    await until('the message', () => got.some((m) => m.topic === 'p/data'));
    const m = got.find((x) => x.topic === 'p/data')!;
    assert.equal(m.payload, 'hello');
    const p = m.properties!;
    assert.equal(p.contentType, 'text/plain');
    assert.equal(p.responseTopic, 'p/reply');
    assert.deepEqual([...(p.correlationData as Buffer)], [1, 2, 3]);
    assert.deepEqual({ ...(p.userProperties as object) }, { a: '1', b: ['2', '3'] });
    assert.equal(p.payloadFormatIndicator, true);
    assert.equal(p.subscriptionIdentifier, 7);
    assert.ok(typeof p.messageExpiryInterval === 'number' && p.messageExpiryInterval <= 60 && p.messageExpiryInterval > 0);
  });

  test('a message is counted as received once, on the node it was published on', async () => {
    const metric = async (node: NodeProcess): Promise<number> => {
      const text = await (await node.request('GET', '/metrics')).text();
      let sum = 0;
      for (const line of text.split('\n')) if (line.startsWith('modmq_messages_received_total')) sum += Number(line.split(' ').pop());
      return sum;
    };
    const sub = await a.connect({ clientId: 'm-sub' });
    await sub.subscribeAsync('m/#', { qos: 1 });
    const got = collect(sub);
    const pub = await b.connect({ clientId: 'm-pub' });
    await routed(pub, got, 'm/probe');
    const [beforeA, beforeB] = [await metric(a), await metric(b)];
    for (let i = 0; i < 5; i++) await pub.publishAsync('m/data', String(i), { qos: 1 });
    await until('five messages', () => got.filter((m) => m.topic === 'm/data').length >= 5);
    assert.equal(got.filter((m) => m.topic === 'm/data').length, 5);
    assert.equal((await metric(b)) - beforeB, 5);
    assert.equal((await metric(a)) - beforeA, 0);
  });
});
