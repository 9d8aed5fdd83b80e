/**
 * Shared-subscription membership kept in Redis (src/cluster/redis-shared-groups.ts), against a
 * real redis-server: what each node learns, what the publishing node picks, and what survives a
 * member moving between nodes or a node restarting.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { redisClusterContext } from '../../src/cluster/cluster-context.js';
import { RedisSharedGroups } from '../../src/cluster/redis-shared-groups.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

let redis: RedisServer;
const open: RedisSharedGroups[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await Promise.all(open.map((g) => g.close()));
  await redis.stop();
});

let clusterCount = 0;
async function node(nodeName: string, cluster: string): Promise<RedisSharedGroups> {
  const groups = new RedisSharedGroups({ cluster: redisClusterContext(redis.url, cluster), nodeName, strategy: 'round_robin', log: pino({ level: 'silent' }) });
  await groups.start();
  open.push(groups);
  return groups;
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('members added on one node are known on the others; the publishing node picks in turn', async () => {
  const name = `sg-${++clusterCount}`;
  const [n1, n2] = [await node('n1', name), await node('n2', name)];
  n1.add('$share/g/t/#', 'c1');
  n2.add('$share/g/t/#', 'c2');
  await until('both nodes to know both members', () => n1.members('$share/g/t/#').length === 2 && n2.members('$share/g/t/#').length === 2);
  const picks = Array.from({ length: 4 }, () => n1.pickAll('t/x', 'p')?.['$share/g/t/#']);
  assert.deepEqual(new Set(picks), new Set(['c1', 'c2']));
  assert.equal(n1.pickAll('other/x', 'p'), undefined, 'no group matches');
  // A receiving node follows the pick that travels with the message.
  assert.equal(n2.pick('$share/g/t/#', { topic: 't/x', publisher: 'p', picks: { '$share/g/t/#': 'c1' } }), 'c1');
  n2.remove('$share/g/t/#', 'c2');
  await until('n1 to learn c2 left', () => n1.members('$share/g/t/#').length === 1);
  assert.equal(n1.pickAll('t/x', 'p')?.['$share/g/t/#'], 'c1');
});

test('a member that moved to another node is not removed when its old node lets it go', async () => {
  const name = `sg-${++clusterCount}`;
  const [n1, n2] = [await node('n1', name), await node('n2', name)];
  n1.add('$share/g/m', 'roamer');
  await until('n2 to learn the member', () => n2.members('$share/g/m').length === 1);
  // The client reconnected on n2; n1 then closes its old connection (in either order of events).
  n2.add('$share/g/m', 'roamer');
  n1.remove('$share/g/m', 'roamer');
  // Events of one node arrive in order: once each side sees the other's marker, all is through.
  n1.add('$share/g/marker', 'from-n1');
  n2.add('$share/g/marker', 'from-n2');
  await until('the markers', () => n1.members('$share/g/marker').length === 2 && n2.members('$share/g/marker').length === 2);
  assert.deepEqual(n1.members('$share/g/m'), ['roamer']);
  assert.deepEqual(n2.members('$share/g/m'), ['roamer']);
  const third = await node('n3', name);
  assert.deepEqual(third.members('$share/g/m'), ['roamer'], 'a node joining later loads it from Redis');
});

test('a node that restarts clears the members it hosted before', async () => {
  const name = `sg-${++clusterCount}`;
  const n1 = await node('n1', name);
  const n2 = await node('n2', name);
  n1.add('$share/g/r', 'gone-with-n1');
  await until('n2 to learn the member', () => n2.members('$share/g/r').length === 1);
  await n1.close();
  await node('n1', name);
  await until('n2 to forget the member of the old n1', () => n2.members('$share/g/r').length === 0);
});

test('forgetNode drops every member of a node known to be gone', async () => {
  const name = `sg-${++clusterCount}`;
  const [n1, n2] = [await node('n1', name), await node('n2', name)];
  n1.add('$share/g/f', 'a');
  n1.add('$share/h/f', 'b');
  await until('n2 to learn both', () => n2.members('$share/g/f').length === 1 && n2.members('$share/h/f').length === 1);
  n2.forgetNode('n1');
  assert.deepEqual([n2.members('$share/g/f'), n2.members('$share/h/f')], [[], []]);
  assert.equal(n2.pickAll('f', undefined), undefined);
});

test('while Redis is down the publishing node picks only its own members', async () => {
  const name = `sg-${++clusterCount}`;
  const [n1, n2] = [await node('n1', name), await node('n2', name)];
  n1.add('$share/g/d/#', 'here');
  n2.add('$share/g/d/#', 'there-1');
  n2.add('$share/g/d/#', 'there-2');
  n2.add('$share/o/d/#', 'only-there');
  await until('n1 to know every member', () => n1.members('$share/g/d/#').length === 3 && n1.members('$share/o/d/#').length === 1);
  const downPicks = Array.from({ length: 6 }, () => n1.pickAll('d/x', 'p', true));
  assert.deepEqual(new Set(downPicks.map((p) => p?.['$share/g/d/#'])), new Set(['here']));
  assert.ok(downPicks.every((p) => p?.['$share/o/d/#'] === undefined), 'a group with no member here gets no pick');
  const n2Picks = Array.from({ length: 6 }, () => n2.pickAll('d/x', 'p', true)?.['$share/g/d/#']);
  assert.deepEqual(new Set(n2Picks), new Set(['there-1', 'there-2']), 'round robin among the members here');
});

test('members are listed in Redis again after it restarts empty', async () => {
  const name = `sg-${++clusterCount}`;
  const n1 = await node('n1', name);
  n1.add('$share/g/back', 'survivor');
  await redis.restart();
  const probe = redisClusterContext(redis.url, name).connect();
  try {
    for (let i = 0; i < 600; i++) {
      const listed = await probe.hgetall(`modmq:{${name}}:shared`).catch(() => ({}));
      if (Object.keys(listed).length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    probe.disconnect();
  }
  // A node starting now loads the membership from Redis.
  const members = (await node('late', name)).members('$share/g/back');
  assert.deepEqual(members, ['survivor']);
});
