/**
 * Two real nodes on one Redis: the modules with shared data keep it in Redis. A built-in DB user
 * added through node A's API logs in on node B; a retained message published on A is delivered
 * to a subscriber on B; a delayed message published on A, whose release owner is then killed
 * (SIGKILL) before it is due, is released by B, once; the killed node restarts and takes part again.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { after, before, describe, test } from 'node:test';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { subscribeGranted } from '../helpers/mqtt-harness.js';
import { nextMessage, type NodeProcess } from '../helpers/node-process.js';

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

async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Adds a module through A and waits until both nodes run it. */
async function addModule(type: string, config: Record<string, unknown>): Promise<void> {
  const added = await a.json<{ revision: number }>('POST', '/modules?wait=true', { type, config });
  await a.waitApplied(added.revision);
  await b.waitApplied(added.revision);
}

/** CONNACK result of a login on `node`: 0 = accepted, else the reason code. */
async function connackCode(node: NodeProcess, options: IClientOptions): Promise<number> {
  const client = mqtt.connect({ host: '127.0.0.1', port: node.mqtt.port, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 5, ...options });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', () => resolve(0));
      client.once('error', (err: Error & { code?: number }) => (typeof err.code === 'number' ? resolve(err.code) : reject(err)));
      client.once('close', () => reject(new Error('closed without CONNACK')));
    });
  } finally {
    await client.endAsync(true);
  }
}

describe('cluster: shared module data on Redis', () => {
  test('auth-builtin-db: a user added through A logs in on B; a rule added through B applies on A', async () => {
    await addModule('auth-builtin-db', { password_hash: 'sha256' });
    await a.json('POST', '/auth/builtin-db/users', { username: 'shared-user', password: 'shared-pw' });
    assert.equal(await connackCode(b, { clientId: 'bdb-1', username: 'shared-user', password: 'shared-pw' }), 0);
    assert.equal(await connackCode(b, { clientId: 'bdb-2', username: 'shared-user', password: 'wrong' }), 0x86, 'B knows the user');

    await b.json('POST', '/auth/builtin-db/acl', { username: 'shared-user', topic: 'locked/#', action: 'sub', permission: 'deny' });
    const client = await a.connect({ clientId: 'bdb-3', username: 'shared-user', password: 'shared-pw', protocolVersion: 5 });
    const granted = await subscribeGranted(client, { 'locked/x': { qos: 0 }, 'open/x': { qos: 0 } });
    assert.deepEqual(granted, { 'locked/x': 0x87, 'open/x': 0 }, "B's rule denies the subscribe on A");
    await client.endAsync();
  });

  test('retainer: a retained message published on A is delivered to a subscriber on B; cleared on B, gone on A', async () => {
    const pub = await a.connect({ clientId: 'ret-pub' });
    await pub.publishAsync('shared/retained', 'kept', { qos: 1, retain: true });
    await pub.endAsync();
    const seen = await eventually('B serves the retained message', async () => {
      const sub = await b.connect({ clientId: 'ret-sub-b' });
      try {
        const got = nextMessage(sub, (t) => t === 'shared/retained');
        await sub.subscribeAsync('shared/+', { qos: 1 });
        return await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000))]);
      } finally {
        await sub.endAsync();
      }
    });
    assert.deepEqual({ payload: seen.payload, retain: seen.retain }, { payload: 'kept', retain: true });
    assert.equal((await b.json<{ topic: string }>('GET', '/retainer/messages/shared%2Fretained')).topic, 'shared/retained');

    const clear = await b.connect({ clientId: 'ret-clear' });
    await clear.publishAsync('shared/retained', '', { qos: 1, retain: true });
    await clear.endAsync();
    await eventually('A no longer has it', async () => (await a.request('GET', '/retainer/messages/shared%2Fretained')).status === 404);
  });

  test('delayed-publish: the release owner is killed before the message is due; the other node releases it, once', async () => {
    await addModule('delayed-publish', { max_delayed_messages: 0 });
    const leaseKey = `modmq:{${cluster.name}}:m:delayed-publish:lease`;
    const redis = new Redis(cluster.redis.url);
    try {
      const holder = await eventually('a node holds the release lease', async () => (await redis.get(leaseKey)) ?? undefined);
      const owner = holder.startsWith('n1@') ? a : b;
      const survivor = owner === a ? b : a;

      const received: string[] = [];
      const sub: MqttClient = await survivor.connect({ clientId: 'delayed-sub', clean: true });
      sub.on('message', (topic, payload) => {
        if (topic === 'later/topic') received.push(payload.toString());
      });
      await sub.subscribeAsync('later/topic', { qos: 1 });

      const pub = await owner.connect({ clientId: 'delayed-pub' });
      await pub.publishAsync('$delayed/6/later/topic', 'once', { qos: 1 });
      await pub.endAsync().catch(() => undefined);
      // Held in Redis (visible from the other node) before the owner dies.
      await eventually('the message is held', async () => (await survivor.json<{ total: number }>('GET', '/delayed')).total === 1);
      await owner.stop('SIGKILL');

      await eventually('released by the survivor', async () => received.length >= 1);
      assert.ok((await redis.get(leaseKey))?.startsWith(survivor === a ? 'n1@' : 'n2@'), 'the survivor holds the lease');
      await eventually('nothing held any more', async () => (await survivor.json<{ total: number }>('GET', '/delayed')).total === 0);
      const metrics = await (await survivor.request('GET', '/metrics')).text();
      assert.match(metrics, /modmq_delayed_messages_total\{result="published"\} 1\b/, 'released once by the survivor');
      assert.deepEqual(received, ['once']);

      // The killed node comes back in its old dir and takes part again: a message held through
      // it is released (by whichever node holds the lease), once.
      const restarted = await cluster.startNode(owner === a ? 1 : 2, owner.dir);
      await restarted.waitApplied();
      const again = await restarted.connect({ clientId: 'delayed-pub-2' });
      await again.publishAsync('$delayed/1/later/topic', 'after-restart', { qos: 1 });
      await again.endAsync();
      await eventually('released after the restart', async () => received.length >= 2);
      await eventually('nothing held', async () => (await restarted.json<{ total: number }>('GET', '/delayed')).total === 0);
      assert.deepEqual(received, ['once', 'after-restart']);
      await sub.endAsync();
    } finally {
      await redis.quit();
    }
  });
});
