import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isValidFilter, isValidTopicName, matchTopic, splitSharedFilter } from '../../src/broker/topic.js';

/** Reference matcher: straight from the spec, level by level. */
function reference(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

// Small alphabets so that matches actually happen.
const level = fc.constantFrom('', 'a', 'b', 'ab', '$SYS', '$x', 'c d');
const topicArb = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/')).filter((t) => t.length > 0);
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 5 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f.length > 0);

test('matchTopic agrees with the reference matcher', () => {
  fc.assert(
    fc.property(filterArb, topicArb, (filter, topic) => {
      assert.equal(matchTopic(filter, topic), reference(filter, topic), `${filter} vs ${topic}`);
    }),
    { numRuns: 5000 },
  );
});

test('a topic name matches itself as a filter (unless it is not a valid name)', () => {
  fc.assert(
    fc.property(topicArb, (topic) => {
      assert.equal(matchTopic(topic, topic), true);
    }),
  );
});

test('# matches everything not starting with $, including the parent level', () => {
  fc.assert(
    fc.property(topicArb, (topic) => {
      assert.equal(matchTopic('#', topic), !topic.startsWith('$'));
      const first = topic.split('/')[0]!;
      if (!first.startsWith('$') && first !== '') {
        assert.equal(matchTopic(`${first}/#`, first), true);
      }
    }),
  );
});

test('known cases from the spec', () => {
  const yes: Array<[string, string]> = [
    ['sport/tennis/player1/#', 'sport/tennis/player1'],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking'],
    ['sport/#', 'sport'],
    ['sport/tennis/+', 'sport/tennis/player1'],
    ['+/+', '/finance'],
    ['/+', '/finance'],
    ['+', 'sport'],
    ['$SYS/#', '$SYS/broker/uptime'],
    ['$SYS/+/x', '$SYS/a/x'],
    ['a//b', 'a//b'],
    ['a/+/b', 'a//b'],
  ];
  const no: Array<[string, string]> = [
    ['sport/tennis/+', 'sport/tennis/player1/ranking'],
    ['sport/+', 'sport'],
    ['+', '/finance'],
    ['#', '$SYS/broker'],
    ['+/monitor/Clients', '$SYS/monitor/Clients'],
    ['a/b', 'a'],
    ['a', 'a/b'],
    ['a/', 'a'],
  ];
  for (const [f, t] of yes) assert.equal(matchTopic(f, t), true, `${f} should match ${t}`);
  for (const [f, t] of no) assert.equal(matchTopic(f, t), false, `${f} should not match ${t}`);
});

test('validity of names and filters', () => {
  for (const t of ['a', '/', 'a/b', '$SYS/x', 'a b']) assert.equal(isValidTopicName(t), true, t);
  for (const t of ['', 'a/+', '#', 'a\u0000b']) assert.equal(isValidTopicName(t), false, t);
  for (const f of ['#', '+', 'a/#', '+/+/#', 'a/+/b', '/', '$share/g/a/#']) assert.equal(isValidFilter(f), true, f);
  for (const f of ['', 'a/#/b', 'a#', 'a/b+', '##', '$share/g', '$share//a', '$share/g+/a', '$share/g/']) assert.equal(isValidFilter(f), false, f);
  assert.deepEqual(splitSharedFilter('$share/grp/a/+'), { group: 'grp', filter: 'a/+' });
  assert.equal(splitSharedFilter('a/b'), undefined);
});

test('generated filters are valid; generated topics are valid names', () => {
  fc.assert(
    fc.property(filterArb, topicArb, (filter, topic) => {
      assert.equal(isValidFilter(filter), true);
      assert.equal(isValidTopicName(topic), true);
    }),
  );
});

test('any string containing a wildcard is not a topic name; matchTopic never throws', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (a, b) => {
      if (a.includes('+') || a.includes('#')) assert.equal(isValidTopicName(a), false);
      matchTopic(a, b);
    }),
  );
});
