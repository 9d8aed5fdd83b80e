import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LocalSharedGroups, SHARED_STRATEGIES } from '../../src/broker/shared-subscriptions-groups.js';
import { displayFilter, fromSharedKey, parseSharedFilter, toSharedKey } from '../../src/broker/shared-subscriptions-topic.js';

const msg = (topic: string, publisher?: string) => ({ topic, publisher });

test('round_robin cycles through members in join order and survives a removal', () => {
  const g = new LocalSharedGroups('round_robin');
  for (const m of ['a', 'b', 'c']) g.add('$share/g/t', m);
  assert.deepEqual([1, 2, 3, 4].map(() => g.pick('$share/g/t', msg('t'))), ['a', 'b', 'c', 'a']);
  g.remove('$share/g/t', 'a');
  assert.deepEqual([1, 2, 3].map(() => g.pick('$share/g/t', msg('t'))), ['b', 'c', 'b']);
});

test('sticky keeps one member until it leaves', () => {
  const g = new LocalSharedGroups('sticky', () => 0.99);
  g.add('k', 'a');
  g.add('k', 'b');
  const first = g.pick('k', msg('t'));
  assert.equal(first, 'b');
  assert.equal(g.pick('k', msg('x')), 'b');
  g.remove('k', 'b');
  assert.equal(g.pick('k', msg('t')), 'a');
});

test('hash strategies are stable per publisher / per topic', () => {
  const byClient = new LocalSharedGroups('hash_clientid');
  const byTopic = new LocalSharedGroups('hash_topic');
  for (const m of ['a', 'b', 'c', 'd']) {
    byClient.add('k', m);
    byTopic.add('k', m);
  }
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (publisher, t1, t2) => {
      assert.equal(byClient.pick('k', msg(t1, publisher)), byClient.pick('k', msg(t2, publisher)));
      assert.equal(byTopic.pick('k', msg(t1, publisher)), byTopic.pick('k', msg(t1, t2)));
    }),
  );
});

test('every strategy picks a current member, and nothing from an empty group', () => {
  for (const strategy of SHARED_STRATEGIES) {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 6 }), fc.nat(5), (members, drop) => {
        const g = new LocalSharedGroups(strategy);
        for (const m of members) assert.equal(g.add('k', m), true);
        assert.equal(g.add('k', members[0]!), false);
        const removed = members.slice(0, Math.min(drop, members.length));
        for (const m of removed) assert.equal(g.remove('k', m), true);
        const left = members.filter((m) => !removed.includes(m));
        const picked = g.pick('k', msg('t', 'p'));
        if (left.length === 0) assert.equal(picked, undefined);
        else assert.ok(left.includes(picked!), `${strategy} picked ${picked}`);
      }),
    );
  }
});

test('shared filters parse; $queue is the $queue group; keys round-trip', () => {
  assert.deepEqual(parseSharedFilter('$share/g/a/+'), { group: 'g', filter: 'a/+' });
  assert.deepEqual(parseSharedFilter('$queue/a/#'), { group: '$queue', filter: 'a/#' });
  assert.equal(parseSharedFilter('$share/g'), undefined);
  assert.equal(parseSharedFilter('$share/+/t'), undefined);
  assert.equal(parseSharedFilter('a/b'), undefined);
  fc.assert(
    fc.property(fc.string({ minLength: 1 }).filter((s) => !s.includes('\u0000')), fc.stringMatching(/^[a-z$]{1,5}$/), fc.stringMatching(/^[a-z+#/]{1,8}$/), (clientId, group, filter) => {
      const key = toSharedKey(clientId, { group, filter });
      assert.deepEqual(fromSharedKey(key), { clientId, shared: { group, filter } });
      assert.equal(displayFilter(key), `$share/${group}/${filter}`);
    }),
  );
  assert.equal(fromSharedKey('$share/g/t'), undefined);
});
