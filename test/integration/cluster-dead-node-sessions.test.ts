/**
 * Sessions of a node that is gone still expire: aedes' expiry timer lived on that node, so another
 * node (the lease holder) expires its MQTT 5 sessions with a finite Session Expiry Interval, unless
 * the client resumed meanwhile on another node. Real redis-server and real node processes; nodes are
 * killed with SIGKILL (clients still connected) or stopped with SIGTERM.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { waitFor } from '../helpers/cluster-wait.js';
import { nextMessage, type NodeProcess } from '../helpers/node-process.js';

let cluster: TestCluster;
let redis: Redis;
before(async () => {
  cluster = await startCluster({ nodes: 3, extraConfig: 'cluster { heartbeat = 200ms }' });
  redis = new Redis(cluster.redis.url);
  redis.on('error', () => undefined);
});
after(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

const prefix = (): string => `modmq:{${cluster.name}}:`;
/** The expiry entry of a client id: `<run>|<seq>|<interval>|<expires at, empty while connected>`. */
const entry = (clientId: string): Promise<string | null> => redis.hget(`${prefix()}expiry:sessions`, clientId);
/** aedes-persistence-redis: the client's subscriptions. */
const subscriptionsKey = (clientId: string): string => `${prefix()}aedes:client:${encodeURIComponent(clientId)}`;
const hasSession = async (clientId: string): Promise<boolean> => (await redis.exists(subscriptionsKey(clientId))) === 1;

const v5 = (clientId: string, seconds: number): IClientOptions => ({
  clientId,
  protocolVersion: 5,
  clean: false,
  properties: { sessionExpiryInterval: seconds },
});

/** Connects CLIENT to NODE and returns it with its CONNACK Session Present and what it receives. */
async function resume(node: NodeProcess, options: IClientOptions): Promise<{ client: MqttClient; sessionPresent: boolean; got: string[] }> {
  const client = node.open(options);
  const got: string[] = [];
  client.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
  const connack = await new Promise<{ sessionPresent: boolean }>((ok, fail) => {
    client.once('connect', (packet) => ok(packet));
    client.once('close', () => fail(new Error(`${options.clientId}: closed before CONNACK`)));
  });
  return { client, sessionPresent: connack.sessionPresent, got };
}

/** A round trip through the broker: whatever it replayed on connect has arrived when this returns. */
async function settle(client: MqttClient, tag: string): Promise<void> {
  const topic = `dn-marker/${tag}`;
  await client.subscribeAsync(topic, { qos: 1 });
  const marker = nextMessage(client, (t) => t === topic);
  await client.publishAsync(topic, 'marker', { qos: 1 });
  await marker;
}

async function publish(node: NodeProcess, topic: string, payload: string): Promise<void> {
  const publisher = await node.connect({ clientId: `pub-${topic.replace(/\W/g, '-')}-${payload}`, clean: true });
  await publisher.publishAsync(topic, payload, { qos: 1 });
  await publisher.endAsync();
}

/** Kills NODE at once, its clients still connected. */
async function kill(node: NodeProcess): Promise<void> {
  node.child.kill('SIGKILL');
  await node.exited;
}

describe('sessions of a node that is gone', () => {
  test('kill -9: a v5 session (expiry 3 s) ends after its interval; a 3.1.1 clean session 0 stays', async () => {
    const [n1, n2] = cluster.nodes as [NodeProcess, NodeProcess];
    const c5 = await n1.connect(v5('dn-v5', 3));
    await c5.subscribeAsync('dn/v5', { qos: 1 });
    const c4 = await n1.connect({ clientId: 'dn-v4', protocolVersion: 4, clean: false });
    await c4.subscribeAsync('dn/v4', { qos: 1 });
    await waitFor('n1 recorded the v5 session', async () => ((await entry('dn-v5'))?.endsWith('|') ? true : undefined));
    // A session that never expires has no entry.
    assert.equal(await entry('dn-v4'), null);

    await kill(n1);
    // Queued for both while their sessions exist.
    await publish(n2, 'dn/v5', 'queued');
    await publish(n2, 'dn/v4', 'queued');

    await waitFor('the v5 session expired', async () => ((await entry('dn-v5')) === null && !(await hasSession('dn-v5')) ? true : undefined));
    await publish(n2, 'dn/v5', 'after');
    assert.equal(await redis.exists(`${prefix()}aedes:outgoing:dn-v5`), 0, 'no offline queue left');

    const again = await resume(n2, v5('dn-v5', 3));
    assert.equal(again.sessionPresent, false);
    await settle(again.client, 'v5');
    assert.deepEqual(
      again.got.filter((m) => !m.startsWith('dn-marker/')),
      [],
    );
    await again.client.endAsync();

    // 3.1.1 clean session 0 never expires: it resumes on n2 with what was queued.
    const v4 = await resume(n2, { clientId: 'dn-v4', protocolVersion: 4, clean: false });
    assert.equal(v4.sessionPresent, true);
    await waitFor('the queued message', async () => (v4.got.includes('dn/v4 queued') ? true : undefined));
    await v4.client.endAsync();
  });

  test('kill -9: a client that resumes on another node before its interval ends keeps its session', async () => {
    const [, n2, n3] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
    const c = await n3.connect(v5('dn-back', 4));
    await c.subscribeAsync('dn/back', { qos: 1 });
    await waitFor('n3 recorded the session', async () => ((await entry('dn-back'))?.endsWith('|') ? true : undefined));

    await kill(n3);
    // The surviving lease holder took the entry and stamped when it expires.
    const stamped = await waitFor('the session adopted', async () => {
      const value = await entry('dn-back');
      return value !== null && !value.endsWith('|') ? value : undefined;
    });
    const expiresAt = Number(stamped.split('|')[3]);
    await publish(n2, 'dn/back', 'while-away');

    const back = await resume(n2, v5('dn-back', 4));
    assert.equal(back.sessionPresent, true);
    await waitFor('the message queued meanwhile', async () => (back.got.includes('dn/back while-away') ? true : undefined));
    // n2 owns the session now: its entry is n2's, connected.
    assert.ok((await entry('dn-back'))?.endsWith('|'));

    // Past the adopted expiry (Redis' clock) and a few rounds more, the session is still there.
    await waitFor(
      'the adopted expiry passed',
      async () => {
        const [seconds, micros] = await redis.time();
        return Number(seconds) * 1000 + Number(micros) / 1000 > expiresAt + 1000 ? true : undefined;
      },
      15_000,
    );
    assert.equal(await hasSession('dn-back'), true);
    await publish(n2, 'dn/back', 'later');
    await waitFor('a message after the expiry time', async () => (back.got.includes('dn/back later') ? true : undefined));
    await back.client.endAsync();
  });

  test('a clean stop: connected and disconnected v5 sessions of the stopped node expire on the others', async () => {
    const [n1Old, n2] = cluster.nodes as [NodeProcess, NodeProcess];
    const n1 = await cluster.startNode(1, n1Old.dir);
    const stay = await n1.connect(v5('dn-stay', 3));
    await stay.subscribeAsync('dn/stay', { qos: 1 });
    const left = await n1.connect(v5('dn-left', 5));
    await left.subscribeAsync('dn/left', { qos: 1 });
    await left.endAsync();
    // Disconnected: n1 stamped when it expires (its own timer would do it, but n1 stops first).
    await waitFor('n1 stamped the disconnected session', async () => {
      const value = await entry('dn-left');
      return value !== null && !value.endsWith('|') ? true : undefined;
    });

    n1.child.kill('SIGTERM');
    await n1.exited;
    await publish(n2, 'dn/stay', 'queued');

    for (const id of ['dn-stay', 'dn-left']) {
      await waitFor(`${id} expired`, async () => ((await entry(id)) === null && !(await hasSession(id)) ? true : undefined));
      const again = await resume(n2, v5(id, 3));
      assert.equal(again.sessionPresent, false, id);
      await settle(again.client, id);
      assert.deepEqual(
        again.got.filter((m) => !m.startsWith('dn-marker/')),
        [],
      );
      await again.client.endAsync();
    }
  });
});
