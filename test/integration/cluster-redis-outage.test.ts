/**
 * A Redis outage in a real 2-node cluster: clients connected to one node keep talking to each other
 * (local delivery does not go through Redis), persistent sessions are refused with a clear CONNACK
 * (they live in Redis), and once Redis is back messages cross nodes again, each delivered once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/cluster-wait.js';
import type { NodeProcess } from '../helpers/node-process.js';

let cluster: TestCluster;
let a: NodeProcess;
let b: NodeProcess;
before(async () => {
  cluster = await startCluster({ nodes: 2 });
  [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
});
after(async () => {
  await cluster?.stop();
});

function collect(client: MqttClient): string[] {
  const got: string[] = [];
  client.on('message', (_topic, payload) => got.push(payload.toString()));
  return got;
}

/** Publishes probes until GOT has one (a new subscription reaches Redis asynchronously). */
async function probeUntilRouted(publisher: MqttClient, got: string[], topic: string, tag: string): Promise<void> {
  let n = 0;
  await waitFor(`${tag} routed`, async () => {
    await publisher.publishAsync(topic, `${tag}-${n++}`, { qos: 0 });
    await new Promise((r) => setTimeout(r, 50));
    return got.some((m) => m.startsWith(`${tag}-`)) ? true : undefined;
  });
}

/** The CONNACK refusal code of a connection attempt (MQTT.js reports it as the error's `code`). */
function refusal(client: MqttClient): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    client.once('error', (error) => resolve((error as { code?: number }).code));
    client.once('connect', () => reject(new Error('connection accepted')));
  });
}

async function droppedOn(node: NodeProcess): Promise<number> {
  const res = await node.request('GET', '/metrics');
  const text = await res.text();
  const line = text.split('\n').find((l) => l.startsWith('modmq_messages_dropped_total'));
  return Number(line?.split(' ')[1] ?? 'NaN');
}

describe('Redis outage', () => {
  test('clients on one node keep exchanging messages; persistent sessions refused; cross-node delivery resumes', async () => {
    const sub = await a.connect({ clientId: 'o-sub', protocolVersion: 5 });
    await sub.subscribeAsync('o/#', { qos: 2 });
    const local = collect(sub);
    const pub = await a.connect({ clientId: 'o-pub', protocolVersion: 5 });
    // A persistent session connected before the outage keeps getting messages (not storing them).
    const durable = await a.connect({ clientId: 'o-durable', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
    await durable.subscribeAsync('o/#', { qos: 1 });
    const durableGot = collect(durable);
    const remoteSub = await b.connect({ clientId: 'o-remote', protocolVersion: 5 });
    await remoteSub.subscribeAsync('o/#', { qos: 1 });
    const remote = collect(remoteSub);
    await probeUntilRouted(pub, remote, 'o/probe', 'before');

    await cluster.redis.halt();
    const droppedBefore = await droppedOn(a);
    local.length = 0;
    durableGot.length = 0;
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`o/q${qos}`, `down-${qos}`, { qos });
    await waitFor('three messages on the same node', async () => (local.length >= 3 ? true : undefined));
    // Once each, in order: the node does not route its own messages through Redis.
    assert.deepEqual(local, ['down-0', 'down-1', 'down-2']);
    await waitFor('three messages for the persistent session', async () => (durableGot.length >= 3 ? true : undefined));
    assert.deepEqual(durableGot, ['down-0', 'down-1', 'down-2']);
    assert.ok((await droppedOn(a)) > droppedBefore, 'messages other nodes could not get are counted as dropped');

    // Sessions that outlive the connection need Redis: refused at once with "server unavailable".
    assert.equal(await refusal(a.open({ clientId: 'o-v5-persistent', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } })), 0x88);
    assert.equal(await refusal(a.open({ clientId: 'o-v4-persistent', protocolVersion: 4, clean: false })), 3);
    // A clean one is served.
    const clean = await b.connect({ clientId: 'o-clean', protocolVersion: 4 });
    await clean.endAsync();

    await cluster.redis.restart();
    // B subscribes its channels again and A publishes to Redis again.
    await probeUntilRouted(pub, remote, 'o/probe', 'after');
    local.length = 0;
    remote.length = 0;
    await pub.publishAsync('o/back', 'back', { qos: 1 });
    await waitFor('the message on node B', async () => (remote.includes('back') ? true : undefined));
    await waitFor('the message on node A', async () => (local.includes('back') ? true : undefined));
    // A later message proves nothing else of 'back' was still on its way.
    await pub.publishAsync('o/mark', 'mark', { qos: 1 });
    await waitFor('the marker on both nodes', async () => (local.includes('mark') && remote.includes('mark') ? true : undefined));
    assert.deepEqual(local, ['back', 'mark']);
    assert.deepEqual(remote, ['back', 'mark']);

    const persistent = await a.connect({ clientId: 'o-v5-persistent', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 60 } });
    await persistent.endAsync();
    await Promise.all([sub.endAsync(), pub.endAsync(), remoteSub.endAsync(), durable.endAsync()]);
  });
});
