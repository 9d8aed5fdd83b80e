import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedGroupsLiveness } from '../../src/cluster/shared-groups-liveness.js';

function hosts(nodes: string[]) {
  const forgotten: string[] = [];
  return {
    forgotten,
    hostNodes: () => nodes.filter((n) => !forgotten.includes(n)),
    forgetNode: (node: string) => forgotten.push(node),
  };
}

test('a node silent longer than the grace period loses its members; nodes heard from keep theirs', () => {
  let now = 1000;
  const target = hosts(['self', 'alive', 'dead', 'dead']);
  const liveness = new SharedGroupsLiveness('self', target, 180_000, () => now);
  now += 100_000;
  liveness.heard('alive');
  assert.deepEqual(liveness.sweep(), [], 'within the grace period from start');
  now += 100_000;
  assert.deepEqual(liveness.sweep(), ['dead']);
  assert.deepEqual(target.forgotten, ['dead']);
  now += 170_000;
  liveness.heard('alive');
  now += 170_000;
  assert.deepEqual(liveness.sweep(), [], 'heard 170 s ago');
});

test('this node never forgets its own members', () => {
  let now = 0;
  const target = hosts(['self']);
  const liveness = new SharedGroupsLiveness('self', target, 10, () => now);
  now = 1_000_000;
  assert.deepEqual(liveness.sweep(), []);
});
