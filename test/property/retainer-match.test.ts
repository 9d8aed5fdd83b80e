import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { toPolicy } from '../../src/modules/retainer/policy.js';
import { RamBackend } from '../../src/modules/retainer/ram-backend.js';
import { Retainer } from '../../src/modules/retainer/retainer.js';

/** Naive reference: MQTT matching straight from the spec, level by level, over every topic. */
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

// Small alphabets so that matches (and collisions between adds and removes) actually happen.
const level = fc.constantFrom('', 'a', 'b', 'ab', '$SYS', '$x');
const topicArb = fc
  .array(level, { minLength: 1, maxLength: 4 })
  .map((l) => l.join('/'))
  .filter((t) => t.length > 0);
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 0, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f.length > 0);
const opArb = fc.tuple(fc.boolean(), topicArb);

const log = pino({ level: 'silent' });
const sorted = (xs: string[]): string[] => [...xs].sort();

test('retained wildcard lookup (trie index) agrees with a naive scan, after any adds and removes', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), fc.array(filterArb, { minLength: 1, maxLength: 8 }), (ops, filters) => {
      const store = new Retainer(new RamBackend(), toPolicy({}), log);
      const live = new Map<string, string>();
      ops.forEach(([add, topic], i) => {
        if (add) {
          store.store({ topic, payload: Buffer.from(String(i)), qos: 0, storedAt: i });
          live.set(topic, String(i));
        } else {
          store.remove(topic);
          live.delete(topic);
        }
      });
      assert.equal(store.size, live.size);
      for (const filter of filters) {
        const got = store.match(filter);
        const want = [...live.keys()].filter((t) => reference(filter, t));
        assert.deepEqual(sorted(got.map((m) => m.topic)), sorted(want), `filter ${filter}`);
        for (const m of got) assert.equal(m.payload.toString(), live.get(m.topic), 'latest payload of the topic');
      }
    }),
    { numRuns: 400 },
  );
});

test('expired messages are never matched, whatever the clock and expiries', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(topicArb, fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined })), { maxLength: 20 }),
      fc.integer({ min: 0, max: 100 }),
      filterArb,
      (entries, now, filter) => {
        const store = new Retainer(new RamBackend(), toPolicy({}), log, () => now);
        const live = new Map<string, number | undefined>();
        for (const [topic, expiresAt] of entries) {
          store.store({ topic, payload: Buffer.from('p'), qos: 0, storedAt: 0, ...(expiresAt !== undefined ? { expiresAt } : {}) });
          live.set(topic, expiresAt);
        }
        const want = [...live].filter(([t, exp]) => (exp === undefined || exp > now) && reference(filter, t)).map(([t]) => t);
        assert.deepEqual(sorted(store.match(filter).map((m) => m.topic)), sorted(want));
      },
    ),
    { numRuns: 300 },
  );
});
