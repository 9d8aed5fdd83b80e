import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isValidTopicName } from '../../src/broker/topic.js';
import { ABSOLUTE_THRESHOLD, MAX_FUTURE_SECONDS, parseDelayedTopic } from '../../src/modules/delayed-publish/delayed-topic.js';

const NOW = 1_700_000_000_000;
const level = fc.stringMatching(/^[a-zA-Z0-9_$-]{0,8}$/);
const target = fc.array(level, { minLength: 1, maxLength: 5 }).map((l) => l.join('/')).filter((t) => t !== '' && !t.startsWith('$delayed/'));

/** A naive reference: what EMQX documents, written the obvious way. */
function reference(topic: string, now: number): { topic: string; publishAt: number } | 'plain' | 'invalid' {
  const m = /^\$delayed\/([^/]*)\/(.*)$/s.exec(topic);
  if (!topic.startsWith('$delayed/')) return 'plain';
  if (!m) return 'invalid';
  const [, interval, rest] = m as unknown as [string, string, string];
  if (!/^\d+$/.test(interval) || interval.length > 16 || !isValidTopicName(rest) || rest.startsWith('$delayed/')) return 'invalid';
  const n = parseInt(interval, 10);
  if (n < ABSOLUTE_THRESHOLD) return { topic: rest, publishAt: now + n * 1000 };
  if (n - now / 1000 > MAX_FUTURE_SECONDS) return 'invalid';
  return { topic: rest, publishAt: n * 1000 };
}

test('relative intervals: publish at now + seconds, topic after the first slash kept verbatim', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: ABSOLUTE_THRESHOLD - 1 }), target, (seconds, t) => {
      const r = parseDelayedTopic(`$delayed/${seconds}/${t}`, NOW);
      assert.deepEqual(r, { kind: 'delayed', topic: t, publishAt: NOW + seconds * 1000 });
    }),
  );
});

test('absolute timestamps: >= 4294967 is Unix seconds, refused beyond 4294967 s ahead', () => {
  const nowSec = NOW / 1000;
  fc.assert(
    fc.property(fc.integer({ min: ABSOLUTE_THRESHOLD, max: nowSec + 2 * MAX_FUTURE_SECONDS }), target, (ts, t) => {
      const r = parseDelayedTopic(`$delayed/${ts}/${t}`, NOW);
      if (ts - nowSec > MAX_FUTURE_SECONDS) assert.equal(r.kind, 'invalid');
      else assert.deepEqual(r, { kind: 'delayed', topic: t, publishAt: ts * 1000 });
    }),
  );
});

test('agrees with a naive reference on arbitrary topics', () => {
  const arbitrary = fc.oneof(
    fc.string({ maxLength: 30 }).map((s) => `$delayed/${s}`),
    fc.tuple(fc.oneof(fc.nat().map(String), fc.string({ maxLength: 6 }), fc.constant('')), fc.string({ maxLength: 12 })).map(([i, t]) => `$delayed/${i}/${t}`),
    fc.string({ maxLength: 20 }),
  );
  fc.assert(
    fc.property(arbitrary, (topic) => {
      const got = parseDelayedTopic(topic, NOW);
      const want = reference(topic, NOW);
      if (want === 'plain') assert.equal(got.kind, 'plain');
      else if (want === 'invalid') assert.equal(got.kind, 'invalid', `${topic}: ${JSON.stringify(got)}`);
      else assert.deepEqual(got, { kind: 'delayed', ...want });
    }),
    { numRuns: 2000 },
  );
});

test('malformed intervals and topics are invalid', () => {
  for (const topic of ['$delayed/', '$delayed/10', '$delayed/10/', '$delayed//a', '$delayed/-1/a', '$delayed/1.5/a', '$delayed/ 1/a', '$delayed/abc/a', '$delayed/+/a', '$delayed/10/a/+', '$delayed/10/#', '$delayed/10/$delayed/5/a', '$delayed/99999999999999999/a']) {
    assert.equal(parseDelayedTopic(topic, NOW).kind, 'invalid', topic);
  }
  for (const topic of ['a/b', '$SYS/x', '$delayedx/1/a', 'delayed/1/a']) assert.equal(parseDelayedTopic(topic, NOW).kind, 'plain', topic);
  // A past absolute time is due at once; a target may be a $SYS topic.
  assert.deepEqual(parseDelayedTopic('$delayed/4294967/$SYS/x', NOW), { kind: 'delayed', topic: '$SYS/x', publishAt: 4294967000 });
});
