import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { queuedCopy, type QueuedPacket, type TopicSubscription } from '../../src/broker/offline-queue.js';
import { withoutWillDelay } from '../../src/broker/will-messages.js';

const subscription = fc.record({
  clientId: fc.constant('c'),
  topic: fc.constantFrom('a/b', 'a/+', 'a/#', '#', '+/b'),
  qos: fc.constantFrom(1, 2),
  rap: fc.boolean(),
  nl: fc.boolean(),
});
const packet = fc.record({
  qos: fc.constantFrom(1, 2),
  retain: fc.boolean(),
  clientId: fc.constantFrom('c', 'other'),
});
const identifiers = fc.dictionary(fc.constantFrom('a/b', 'a/+', 'a/#', '#', '+/b'), fc.integer({ min: 1, max: 268435455 }));

test('the queued copy for one client: QoS capped, retain only with Retain As Published, identifiers of the matching filters, nothing for No Local own messages', () => {
  fc.assert(
    fc.property(fc.array(subscription, { minLength: 1, maxLength: 5 }), packet, identifiers, (subs: TopicSubscription[], p: QueuedPacket, ids) => {
      const known = new Map([['c', new Map(Object.entries(ids))]]);
      const copy = queuedCopy(subs, p, known);
      const counted = subs.filter((s) => !(p.clientId === 'c' && s.nl === true));
      if (counted.length === 0) {
        assert.equal(copy, undefined);
        return;
      }
      assert.ok(copy !== undefined);
      assert.equal(copy.qos, Math.min(p.qos, Math.max(...counted.map((s) => s.qos))));
      assert.equal(copy.retain, p.retain && counted.some((s) => s.rap === true));
      const expected = [...new Set(counted.map((s) => ids[s.topic]).filter((id) => id !== undefined))];
      const got = copy.properties?.subscriptionIdentifier;
      assert.deepEqual(got === undefined ? [] : Array.isArray(got) ? got : [got], expected);
      // The published message itself is never changed.
      assert.equal(p.properties, undefined);
    }),
  );
});

test('withoutWillDelay drops only the Will Delay Interval', () => {
  fc.assert(
    fc.property(fc.option(fc.nat(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }), (delay, contentType) => {
      const properties: Record<string, unknown> = {};
      if (delay !== undefined) properties.willDelayInterval = delay;
      if (contentType !== undefined) properties.contentType = contentType;
      const will = { topic: 't', properties };
      const out = withoutWillDelay(will);
      assert.equal((out.properties ?? {}).willDelayInterval, undefined);
      assert.equal(out.properties?.contentType, contentType);
      assert.equal(will.properties.willDelayInterval, delay, 'the original will is left alone');
    }),
  );
});
