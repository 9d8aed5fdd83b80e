/**
 * Membership and node status against a real redis-server, in process: registration, expiry of a
 * node that stops beating, a clean stop, re-registration after Redis comes back empty, a
 * duplicate node name, and the cluster view combining them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { clusterKeyPrefix, redisClusterContext } from '../../src/cluster/cluster-context.js';
import { redisClusterView } from '../../src/cluster/cluster-view.js';
import { listMembers, memberKey, Membership, type NodeAnnouncement } from '../../src/cluster/membership.js';
import { nodeStatusKey } from '../../src/cluster/node-status.js';
import type { NodeModuleStatus } from '../../src/modules/runtime/module-status.js';
import { waitFor } from '../helpers/cluster-wait.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

let redis: RedisServer;
const connections: Redis[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const c of connections) c.disconnect();
  await redis.stop();
});

function connect(): Redis {
  const c = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(20 * n, 200) });
  c.on('error', () => undefined);
  connections.push(c);
  return c;
}

function announcement(name: string): NodeAnnouncement {
  return { name, version: '0.0.0', startedAt: new Date().toISOString(), api: { host: '127.0.0.1', port: 1 }, listeners: [] };
}

function recordingLog(): { warn: string[]; info: string[]; log: { info(o: object, m: string): void; warn(o: object, m: string): void } } {
  const warn: string[] = [];
  const info: string[] = [];
  return { warn, info, log: { info: (_o, m) => info.push(m), warn: (_o, m) => warn.push(m) } };
}

let clusterNo = 0;
const prefix = (): string => clusterKeyPrefix(`m${++clusterNo}`);

describe('membership', () => {
  test('a node is listed while it beats, gone after the TTL when it stops beating, gone at once on a clean stop', async () => {
    const keyPrefix = prefix();
    const { log } = recordingLog();
    const one = new Membership({ redis: connect(), keyPrefix, self: announcement('one'), heartbeatMs: 50, log });
    const crashing = connect();
    const two = new Membership({ redis: crashing, keyPrefix, self: announcement('two'), heartbeatMs: 50, ttlMs: 300, log });
    await one.start();
    await two.start();
    const reader = connect();
    assert.deepEqual((await listMembers(reader, keyPrefix)).map((m) => m.name), ['one', 'two']);
    assert.ok((await reader.pttl(memberKey(keyPrefix, 'two'))) <= 300);

    // "two" dies without a word: its connection drops, nothing is deleted.
    crashing.disconnect();
    await waitFor('two expired', async () => ((await listMembers(reader, keyPrefix)).length === 1 ? true : undefined), 10_000);
    assert.deepEqual(await reader.smembers(`${keyPrefix}nodes`), ['one'], 'the index is pruned too');

    await one.stop();
    assert.deepEqual(await listMembers(reader, keyPrefix), []);
    assert.equal(await reader.exists(memberKey(keyPrefix, 'one')), 0);
    await two.stop();
  });

  test('Redis restarts empty: the heartbeat logs the outage once and registers the node again', async () => {
    const keyPrefix = prefix();
    const { log, warn, info } = recordingLog();
    const m = new Membership({ redis: connect(), keyPrefix, self: announcement('survivor'), heartbeatMs: 50, log });
    await m.start();
    await redis.halt();
    await waitFor('the outage noticed', async () => (warn.length > 0 ? true : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(warn.filter((w) => w.includes('heartbeat failed')).length, 1, warn.join('\n'));
    await redis.restart();
    const reader = connect();
    const members = await waitFor('registered again', async () => {
      const list = await listMembers(reader, keyPrefix);
      return list.length === 1 ? list : undefined;
    }, 10_000);
    assert.equal(members[0]!.name, 'survivor');
    assert.ok(info.some((i) => i.includes('registered again')));
    await m.stop();
  });

  test('two processes with one node name: the second heartbeat notices and warns', async () => {
    const keyPrefix = prefix();
    const first = recordingLog();
    const second = recordingLog();
    const x = new Membership({ redis: connect(), keyPrefix, self: announcement('twin'), heartbeatMs: 40, log: first.log });
    const y = new Membership({ redis: connect(), keyPrefix, self: announcement('twin'), heartbeatMs: 40, log: second.log });
    await x.start();
    await y.start();
    await waitFor('a duplicate warning', async () =>
      [...first.warn, ...second.warn].some((w) => w.includes('node names must be unique')) ? true : undefined,
    );
    await x.stop();
    await y.stop();
  });
});

describe('cluster view', () => {
  test('lists live nodes with the status each published; its own entry is live; a clean stop removes both keys', async () => {
    const name = `v${++clusterNo}`;
    const cluster = redisClusterContext(redis.url, name);
    const status = (node: string, state: 'running' | 'failed'): NodeModuleStatus => ({
      node,
      appliedRevision: 4,
      modules: [{ id: 'presence', type: 'presence', state, servingRevision: state === 'running' ? 4 : null, since: new Date(0).toISOString() }],
    });
    let mine = status('alpha', 'running');
    const { log } = recordingLog();
    const alpha = redisClusterView(cluster, { name: 'alpha', version: '1.0.0', startedAt: new Date().toISOString(), status: () => mine, log, heartbeatMs: 100 });
    const beta = redisClusterView(cluster, { name: 'beta', version: '1.0.0', startedAt: new Date().toISOString(), status: () => status('beta', 'failed'), log, heartbeatMs: 100 });
    await alpha.start({ host: '127.0.0.1', port: 1001 }, [{ name: 'tcp', kind: 'tcp', host: '127.0.0.1', port: 1883 }]);
    await beta.start({ host: '127.0.0.1', port: 1002 }, []);

    const fromBeta = await waitFor('alpha status visible to beta', async () => {
      const v = await beta.nodes();
      return v.nodes.length === 2 && v.nodes[0]!.appliedRevision === 4 ? v : undefined;
    });
    assert.equal(fromBeta.cluster, name);
    assert.deepEqual(fromBeta.nodes.map((n) => [n.name, n.self, n.api.port, n.modules?.[0]?.state]), [
      ['alpha', false, 1001, 'running'],
      ['beta', true, 1002, 'failed'],
    ]);
    assert.deepEqual(fromBeta.nodes[0]!.listeners, [{ name: 'tcp', kind: 'tcp', host: '127.0.0.1', port: 1883 }]);

    // A change reaches the others (written on notice; the heartbeat writes it again).
    mine = status('alpha', 'failed');
    alpha.statusChanged();
    await waitFor('the change visible to beta', async () =>
      (await beta.nodes()).nodes[0]!.modules?.[0]?.state === 'failed' ? true : undefined,
    );
    // Its own entry needs no Redis round trip: it is the live status.
    mine = status('alpha', 'running');
    assert.equal((await alpha.nodes()).nodes.find((n) => n.self)!.modules![0]!.state, 'running');

    await alpha.stop();
    const reader = connect();
    assert.equal(await reader.exists(memberKey(cluster.keyPrefix, 'alpha'), nodeStatusKey(cluster.keyPrefix, 'alpha')), 0);
    assert.deepEqual((await beta.nodes()).nodes.map((n) => n.name), ['beta']);
    await beta.stop();
  });
});
