/**
 * Messages across the nodes of a cluster (routing via Redis pub/sub, sessions in Redis): what is
 * published on one node reaches subscribers on the others, once, with its MQTT 5 properties, and
 * a persistent session resumes on another node with what was queued while it was away.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { clusterNodeConfig, startCluster, type TestCluster } from '../helpers/cluster.js';
import { startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { clientGone as gone } from '../helpers/cluster-wait.js';

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

  test('re-subscribing a wildcard filter (new options) keeps messages from other nodes coming', async () => {
    // aedes swaps the handler: unsubscribe then subscribe, i.e. PUNSUBSCRIBE then PSUBSCRIBE of the
    // same pattern. With ioredis' auto-pipelining on the subscriber they went out in reverse order
    // and the node lost the pattern; its own publishes still arrived.
    const sub = await a.connect({ clientId: 'rs-sub', protocolVersion: 5 });
    await sub.subscribeAsync('rs/+', { qos: 1, properties: { subscriptionIdentifier: 1 } });
    const got = collect(sub);
    const pub = await b.connect({ clientId: 'rs-pub', protocolVersion: 5 });
    await routed(pub, got, 'rs/first');
    await sub.subscribeAsync('rs/+', { qos: 1, properties: { subscriptionIdentifier: 2 } });
    await routed(pub, got, 'rs/second');
    assert.equal(got.find((m) => m.topic === 'rs/second')!.properties!.subscriptionIdentifier, 2);
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

describe('order of a node\'s messages', () => {
  test('QoS 1 messages held up by offline queues are not dropped as duplicates by subscribers on other nodes', async () => {
    // A persistent QoS 1 subscriber makes each QoS 1 message wait for its offline queue in Redis,
    // while another client's QoS 0 messages go straight out.
    const persistent = await a.connect({ clientId: 'ord-persistent', clean: false });
    await persistent.subscribeAsync('ord/#', { qos: 1 });
    const sub = await b.connect({ clientId: 'ord-sub' });
    await sub.subscribeAsync('ord/#', { qos: 1 });
    const got = collect(sub);
    const pubQos1 = await a.connect({ clientId: 'ord-p1' });
    const pubQos0 = await a.connect({ clientId: 'ord-p0' });
    await routed(pubQos0, got, 'ord/probe');
    const n = 100;
    const sends: Array<Promise<unknown>> = [];
    for (let i = 0; i < n; i++) {
      sends.push(pubQos1.publishAsync('ord/one', String(i), { qos: 1 }));
      sends.push(pubQos0.publishAsync('ord/zero', String(i), { qos: 0 }));
    }
    await Promise.all(sends);
    await until('every QoS 1 message', () => got.filter((m) => m.topic === 'ord/one').length >= n, 1000);
    assert.deepEqual(
      got.filter((m) => m.topic === 'ord/one').map((m) => Number(m.payload)),
      Array.from({ length: n }, (_, i) => i),
    );
  });
});

describe('sessions across nodes', () => {
  test('an MQTT 5 persistent session resumes on another node with its subscription and the messages queued meanwhile', async () => {
    const opts = { clientId: 'roamer', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await a.connect(opts);
    await first.subscribeAsync('roam/#', { qos: 1 });
    const firstGot = collect(first);
    const pub = await b.connect({ clientId: 'roam-pub' });
    await routed(pub, firstGot, 'roam/probe');
    await first.endAsync();
    await gone(a, 'roamer');
    // aedes acks QoS 1 before it routes: a watcher on the same node tells when all three went by,
    // so none of them can still be in flight when the session resumes.
    const watcher = await b.connect({ clientId: 'roam-watch' });
    await watcher.subscribeAsync('roam/+', { qos: 0 });
    const watched = collect(watcher);
    await routed(pub, watched, 'roam/watch');
    for (let i = 0; i < 3; i++) await pub.publishAsync('roam/queued', `q${i}`, { qos: 1 });
    await until('the messages to be routed', () => watched.filter((m) => m.topic === 'roam/queued').length >= 3);

    const second = b.open(opts);
    const got = collect(second);
    const connack = await new Promise<{ sessionPresent: boolean }>((ok) => second.once('connect', (p) => ok(p as { sessionPresent: boolean })));
    assert.equal(connack.sessionPresent, true);
    await until('the queued messages', () => got.filter((m) => m.topic === 'roam/queued').length >= 3);
    assert.deepEqual(
      got.filter((m) => m.topic === 'roam/queued').map((m) => m.payload),
      ['q0', 'q1', 'q2'],
    );
    // The restored subscription routes live messages too, from either node.
    const pubA = await a.connect({ clientId: 'roam-pub-a' });
    await pubA.publishAsync('roam/live', 'live', { qos: 1 });
    await until('the live message', () => got.some((m) => m.topic === 'roam/live'));
  });

  test('a session resumed while messages stream in gets CONNACK first, then every message', async () => {
    const opts = { clientId: 'streamed', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } };
    const first = await a.connect(opts);
    await first.subscribeAsync('stream/#', { qos: 1 });
    await first.endAsync();
    await gone(a, 'streamed');
    const pub = await b.connect({ clientId: 'stream-pub' });
    const n = 300;
    const sends: Array<Promise<unknown>> = [];
    // QoS 0 through the QoS 1 subscription takes aedes' other delivery path.
    for (let i = 0; i < n; i++) sends.push(pub.publishAsync('stream/x', String(i), { qos: i % 3 === 0 ? 0 : 1 }));
    // Resume while they are being routed: restored subscriptions go live before the CONNACK.
    const second = b.open(opts);
    const firstPacket = new Promise<string>((ok) => second.once('packetreceive', (p) => ok(p.cmd)));
    const got = collect(second);
    await Promise.all(sends);
    assert.equal(await firstPacket, 'connack');
    // QoS 0 messages routed before the session was back are not queued for it; all QoS 1 ones are.
    const qos1 = (): number => new Set(got.filter((m) => Number(m.payload) % 3 !== 0).map((m) => m.payload)).size;
    await until('every QoS 1 message', () => qos1() >= n - Math.ceil(n / 3), 1500);
    await pub.publishAsync('stream/last', 'q0', { qos: 0 });
    await until('a QoS 0 message after the resume', () => got.some((m) => m.topic === 'stream/last'));
  });

  test('MQTT 3.1.1 clean=false: subscription and offline messages follow the client to another node', async () => {
    const opts = { clientId: 'roamer3', protocolVersion: 4 as const, clean: false };
    const first = await b.connect(opts);
    await first.subscribeAsync('roam3/#', { qos: 2 });
    const firstGot = collect(first);
    const pub = await a.connect({ clientId: 'roam3-pub' });
    await routed(pub, firstGot, 'roam3/probe');
    await first.endAsync();
    await gone(b, 'roamer3');
    await pub.publishAsync('roam3/queued', 'while away', { qos: 2 });
    const second = a.open(opts);
    const got = collect(second);
    const connack = await new Promise<{ sessionPresent: boolean }>((ok) => second.once('connect', (p) => ok(p as { sessionPresent: boolean })));
    assert.equal(connack.sessionPresent, true);
    await until('the queued message', () => got.some((m) => m.topic === 'roam3/queued'));
    assert.equal(got.find((m) => m.topic === 'roam3/queued')!.payload, 'while away');
  });

  test('connecting on node B with the id of a client on node A ends the old connection with 0x8E', async () => {
    const old = await a.connect({ clientId: 'twin', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 300 } });
    await old.subscribeAsync('twin/#', { qos: 1 });
    const disconnect = new Promise<number | undefined>((ok) => old.once('disconnect', (p) => ok(p.reasonCode)));
    const closed = new Promise<void>((ok) => old.once('close', () => ok()));
    const fresh = await b.connect({ clientId: 'twin', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 300 } });
    assert.equal(await disconnect, 0x8e);
    await closed;
    // Node A forgets the client; node B has it, with the session A had (subscription kept).
    await gone(a, 'twin');
    await b.waitForClient('twin');
    const got = collect(fresh);
    const pub = await a.connect({ clientId: 'twin-pub' });
    await routed(pub, got, 'twin/probe');
  });

  test('a session resumed on node B is not expired later by node A, where it was left', async () => {
    const first = await a.connect({ clientId: 'expiring', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 1 } });
    await first.subscribeAsync('exp/#', { qos: 1 });
    await first.endAsync();
    await gone(a, 'expiring');
    const resumed = { clientId: 'expiring', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } };
    const second = await b.connect(resumed);
    // Past node A's 1 s expiry timer, which would have wiped the session in Redis.
    await new Promise((r) => setTimeout(r, 2500));
    await second.endAsync();
    await gone(b, 'expiring');
    const pub = await a.connect({ clientId: 'exp-pub' });
    await pub.publishAsync('exp/queued', 'kept', { qos: 1 });
    const third = b.open(resumed);
    const got = collect(third);
    await until('the queued message', () => got.some((m) => m.topic === 'exp/queued'));
  });

  test('MQTT 3.1.1 takeover across nodes closes the old connection', async () => {
    const old = await b.connect({ clientId: 'twin3', protocolVersion: 4 });
    const closed = new Promise<void>((ok) => old.once('close', () => ok()));
    await a.connect({ clientId: 'twin3', protocolVersion: 4 });
    await closed;
    await a.waitForClient('twin3');
  });
});

describe('shared subscriptions across nodes', () => {
  for (const [label, publishOn] of [
    ['published on a node hosting a member', (): NodeProcess => a],
    ['published on each node in turn', null],
  ] as const) {
    test(`one member of the cluster gets each message (${label})`, async () => {
      const tag = publishOn === null ? 'alt' : 'one';
      const m1 = await a.connect({ clientId: `sh-${tag}-1`, protocolVersion: 5 });
      const m2 = await b.connect({ clientId: `sh-${tag}-2`, protocolVersion: 5 });
      await m1.subscribeAsync(`$share/g/sh-${tag}/#`, { qos: 1 });
      await m2.subscribeAsync(`$share/g/sh-${tag}/#`, { qos: 1 });
      const got1 = collect(m1);
      const got2 = collect(m2);
      const pubA = await a.connect({ clientId: `sh-${tag}-pa` });
      const pubB = await b.connect({ clientId: `sh-${tag}-pb` });
      // Both nodes know both members once round robin reaches each of them.
      for (let i = 0; i < 400 && !(got1.length > 0 && got2.length > 0); i++) {
        await pubA.publishAsync(`sh-${tag}/probe`, 'probe', { qos: 1 });
        await pubB.publishAsync(`sh-${tag}/probe`, 'probe', { qos: 1 });
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(got1.length > 0 && got2.length > 0, 'both members joined');
      const n = 20;
      for (let i = 0; i < n; i++) {
        const pub = publishOn === null ? (i % 2 === 0 ? pubA : pubB) : pubA;
        await pub.publishAsync(`sh-${tag}/data`, String(i), { qos: 1 });
      }
      const data = (): Received[] => [...got1, ...got2].filter((m) => m.topic === `sh-${tag}/data`);
      await until('every message', () => new Set(data().map((m) => m.payload)).size >= n);
      await pubA.publishAsync(`sh-${tag}/end`, 'end', { qos: 1 });
      await pubB.publishAsync(`sh-${tag}/end`, 'end', { qos: 1 });
      await until('the end markers', () => [...got1, ...got2].filter((m) => m.topic === `sh-${tag}/end`).length >= 2);
      assert.equal(data().length, n, 'no message delivered twice');
      // Round robin per publishing node spreads the load over both members.
      assert.ok(got1.some((m) => m.topic === `sh-${tag}/data`) && got2.some((m) => m.topic === `sh-${tag}/data`));
    });
  }

  test('a plain subscriber next to a shared group still gets every message', async () => {
    const member = await a.connect({ clientId: 'shp-m', protocolVersion: 5 });
    await member.subscribeAsync('$share/g/shp/#', { qos: 1 });
    const plain = await b.connect({ clientId: 'shp-plain' });
    await plain.subscribeAsync('shp/#', { qos: 1 });
    const gotMember = collect(member);
    const gotPlain = collect(plain);
    const pub = await b.connect({ clientId: 'shp-pub' });
    await routed(pub, gotPlain, 'shp/probe');
    await until('the member to join', () => gotMember.length > 0, 1).catch(async () => routed(pub, gotMember, 'shp/probe2'));
    for (let i = 0; i < 5; i++) await pub.publishAsync('shp/data', String(i), { qos: 1 });
    await until('all messages', () => gotPlain.filter((m) => m.topic === 'shp/data').length >= 5 && gotMember.filter((m) => m.topic === 'shp/data').length >= 5);
    assert.equal(gotMember.filter((m) => m.topic === 'shp/data').length, 5);
  });
});

describe('node lifecycle with Redis routing', () => {
  test('retained messages still go through the retainer module over the Redis session store', async () => {
    const pub = await a.connect({ clientId: 'ret-pub' });
    await pub.publishAsync('ret/kept', 'value', { qos: 1, retain: true });
    let found: Received | undefined;
    for (let i = 0; i < 100 && found === undefined; i++) {
      const sub = await a.connect({ clientId: `ret-sub-${i}` });
      const got = collect(sub);
      await sub.subscribeAsync('ret/#', { qos: 1 });
      await until('a moment for the retained message', () => got.length > 0, 10).catch(() => undefined);
      found = got.find((m) => m.topic === 'ret/kept');
      await sub.endAsync();
    }
    assert.ok(found, 'retained message delivered on subscribe');
    assert.equal(found.payload, 'value');
    assert.equal(found.retain, true);
  });

  test('another cluster on the same Redis (another name) shares neither messages nor sessions', async () => {
    const stranger = await startNodeProcess({ config: clusterNodeConfig(9, cluster.redis.url, `${cluster.name}-other`) });
    try {
      const sub = await a.connect({ clientId: 'iso-sub' });
      await sub.subscribeAsync('iso/#', { qos: 1 });
      const got = collect(sub);
      const own = await b.connect({ clientId: 'iso-own' });
      await routed(own, got, 'iso/probe');
      const foreign = await stranger.connect({ clientId: 'iso-sub' });
      await foreign.publishAsync('iso/foreign', 'not for you', { qos: 1 });
      await own.publishAsync('iso/marker', 'after', { qos: 1 });
      await until('the marker', () => got.some((m) => m.topic === 'iso/marker'));
      assert.equal(got.some((m) => m.topic === 'iso/foreign'), false);
      // Same client id in the other cluster: no takeover across clusters.
      assert.equal(sub.connected, true);
    } finally {
      await stranger.close();
    }
  });

  test('a cluster node exits cleanly on SIGTERM (its Redis connections closed)', async () => {
    const third = await cluster.startNode(3);
    const client = await third.connect({ clientId: 'bye', clean: false });
    await client.subscribeAsync('bye/#', { qos: 1 });
    const exit = await third.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});
