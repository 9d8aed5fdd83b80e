import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DepartedMembers } from '../../src/cluster/forget-departed-members.js';
import type { ClusterNodes } from '../../src/cluster/cluster-view.js';

function hosts(nodes: string[]) {
  const forgotten: string[] = [];
  return {
    forgotten,
    hostNodes: () => nodes.filter((n) => !forgotten.includes(n)),
    forgetNode: (node: string) => forgotten.push(node),
  };
}

function view(names: string[], error?: string): ClusterNodes {
  const nodes = names.map((name) => ({ name }) as ClusterNodes['nodes'][number]);
  return { cluster: 'c', nodes, ...(error !== undefined ? { error } : {}) };
}

test('a node missing from membership for the grace period loses its members; listed nodes keep theirs', () => {
  let now = 0;
  const target = hosts(['self', 'alive', 'gone']);
  const departed = new DepartedMembers('self', target, 5000, () => now);
  assert.deepEqual(departed.check(view(['self', 'alive'])), [], 'first seen missing: wait');
  now = 4999;
  assert.deepEqual(departed.check(view(['self', 'alive'])), []);
  now = 5000;
  assert.deepEqual(departed.check(view(['self', 'alive'])), ['gone']);
  assert.deepEqual(target.forgotten, ['gone']);
});

test('a node that shows up again within the grace period is not forgotten, and its clock restarts', () => {
  let now = 0;
  const target = hosts(['self', 'late']);
  const departed = new DepartedMembers('self', target, 5000, () => now);
  departed.check(view(['self']));
  now = 3000;
  departed.check(view(['self', 'late']));
  now = 6000;
  assert.deepEqual(departed.check(view(['self'])), [], 'missing again only since 6000');
  now = 11_000;
  assert.deepEqual(departed.check(view(['self'])), ['late']);
});

test('a list read while Redis is down (error set) forgets nobody, and this node never forgets itself', () => {
  let now = 0;
  const target = hosts(['self', 'other']);
  const departed = new DepartedMembers('self', target, 1000, () => now);
  for (let i = 0; i < 5; i++) {
    now += 5000;
    assert.deepEqual(departed.check(view(['self'], 'cannot read the cluster from Redis')), []);
  }
  assert.deepEqual(target.forgotten, []);
  now += 5000;
  departed.check(view([]));
  now += 5000;
  assert.deepEqual(departed.check(view([])), ['other']);
});

test('property: only hosts absent from every list over a full grace period are forgotten', () => {
  const nodes = ['self', 'a', 'b', 'c'];
  fc.assert(
    fc.property(fc.array(fc.record({ dt: fc.integer({ min: 0, max: 3000 }), live: fc.subarray(nodes) }), { maxLength: 30 }), (steps) => {
      let now = 0;
      const target = hosts(nodes);
      const departed = new DepartedMembers('self', target, 5000, () => now);
      const lastSeenLive = new Map<string, number>();
      const firstMissing = new Map<string, number>();
      for (const step of steps) {
        now += step.dt;
        for (const n of step.live) lastSeenLive.set(n, now);
        for (const n of nodes) if (!step.live.includes(n) && !firstMissing.has(n)) firstMissing.set(n, now);
        for (const n of step.live) firstMissing.delete(n);
        for (const n of departed.check(view(step.live))) {
          assert.notEqual(n, 'self');
          assert.ok(!step.live.includes(n), 'never forgets a listed node');
          assert.ok(now - firstMissing.get(n)! >= 5000, 'missing for a full grace period');
        }
      }
    }),
  );
});
