/**
 * CONNACK Session Present across the nodes of a cluster [MQTT-3.2.2-2]: a session made on one
 * node, even without subscriptions, is reported present when the client resumes it on another
 * (the record lives in the cluster's Redis); a clean start anywhere ends it for every node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { IClientOptions } from 'mqtt';
import { Redis } from 'ioredis';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import type { NodeProcess } from '../helpers/node-process.js';
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

const recordKey = (clientId: string): string => `modmq:{${cluster.name}}:session:${clientId}`;

/**
 * Polls until the cluster's record of CLIENT_ID matches: its TTL in ms, -1 (none), -2 (no record).
 * 'expiring' is any TTL > 0.
 */
async function recorded(clientId: string, wanted: 'expiring' | -1 | -2): Promise<void> {
  let ttl = 0;
  for (let i = 0; i < 500; i++) {
    ttl = await redis.pttl(recordKey(clientId));
    if (wanted === 'expiring' ? ttl > 0 : ttl === wanted) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`the record of ${clientId}: PTTL ${ttl}, wanted ${wanted}`);
}

/**
 * Connects to NODE, reads CONNACK Session Present, disconnects at once and waits until NODE handled
 * it. The DISCONNECT can overtake aedes' end of the connect (its offline-queue replay, read from
 * Redis): the client must still leave the client list (broker.ts wireLifecycle).
 */
async function sessionPresentOn(node: NodeProcess, options: IClientOptions): Promise<boolean> {
  const client = node.open(options);
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    client.once('connect', (packet) => resolve(packet));
    client.once('close', () => reject(new Error(`${options.clientId}: closed before CONNACK`)));
  });
  await client.endAsync();
  await gone(node, String(options.clientId));
  return connack.sessionPresent;
}

describe('Session Present across nodes', () => {
  test('v5: a session without subscriptions made on n1 is present on n2; Clean Start 1 on n2 ends it', async () => {
    const persistent = { clientId: 'sp-roam5', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } };
    assert.equal(await sessionPresentOn(n1, persistent), false);
    // The record expires with the session (Session Expiry Interval 300 s).
    await recorded('sp-roam5', 'expiring');
    assert.ok((await redis.pttl(recordKey('sp-roam5'))) <= 300_000);

    assert.equal(await sessionPresentOn(n2, persistent), true);
    // Clean Start 1 (expiry 0) on n2: it ends the session, for every node.
    assert.equal(await sessionPresentOn(n2, { clientId: 'sp-roam5', protocolVersion: 5, clean: true }), false);
    await recorded('sp-roam5', -2);
    assert.equal(await sessionPresentOn(n1, persistent), false);
    // That resume on n1 made a new session, which n2 now resumes.
    await recorded('sp-roam5', 'expiring');
    assert.equal(await sessionPresentOn(n2, persistent), true);
  });

  test('v5: Session Expiry 0 on n1 leaves nothing to resume on n2', async () => {
    const opts = { clientId: 'sp-zero5', protocolVersion: 5 as const, clean: false };
    assert.equal(await sessionPresentOn(n1, opts), false);
    await recorded('sp-zero5', -2);
    assert.equal(await sessionPresentOn(n2, opts), false);
  });

  test('v5: a session taken over by n2 keeps its record when n1 closes the old connection', async () => {
    const old = await n1.connect({ clientId: 'sp-taken', protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 1 } });
    const closed = new Promise<void>((ok) => old.once('close', () => ok()));
    const live = { clientId: 'sp-taken', protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } };
    const taker = n2.open(live);
    const connack = await new Promise<{ sessionPresent: boolean }>((ok) => taker.once('connect', (p) => ok(p)));
    assert.equal(connack.sessionPresent, true);
    await closed;
    await gone(n1, 'sp-taken');
    // n1 ended the old connection (1 s expiry) after n2 recorded the live session: n2's record stands.
    await recorded('sp-taken', -1);
    // Past the old connection's expiry, the session is still live on n2, so present.
    await new Promise((r) => setTimeout(r, 1500));
    const third = n1.open(live);
    const again = await new Promise<{ sessionPresent: boolean }>((ok) => third.once('connect', (p) => ok(p)));
    assert.equal(again.sessionPresent, true);
  });

  test('MQTT 3.1.1: clean session 0 made on n2 is present on n1; clean session 1 on n1 ends it', async () => {
    const persistent = { clientId: 'sp-roam4', protocolVersion: 4 as const, clean: false };
    assert.equal(await sessionPresentOn(n2, persistent), false);
    // 3.1.1 sessions have no expiry: the record has no TTL.
    await recorded('sp-roam4', -1);

    assert.equal(await sessionPresentOn(n1, persistent), true);
    assert.equal(await sessionPresentOn(n1, { clientId: 'sp-roam4', protocolVersion: 4, clean: true }), false);
    await recorded('sp-roam4', -2);
    assert.equal(await sessionPresentOn(n2, persistent), false);
  });

});
