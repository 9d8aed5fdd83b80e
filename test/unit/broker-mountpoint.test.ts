import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  expandMountpoint,
  mountFilter,
  mountpointProblem,
  mountTopic,
  resolveMountpoint,
  unmountFilter,
  unmountOutgoing,
  unmountTopic,
} from '../../src/broker/mountpoint.js';
import { isValidFilter, matchTopic } from '../../src/broker/topic.js';

// Topic levels without wildcards, `$` or NUL; mountpoints end with `/` as EMQX's usually do.
const level = fc.stringMatching(/^[a-z0-9_%-]{0,6}$/);
const topicArb = fc.array(level, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('/')).filter((t) => t.length > 0);
const mountpointArb = fc.array(fc.stringMatching(/^[a-z0-9_-]{1,6}$/), { minLength: 1, maxLength: 3 }).map((ls) => `${ls.join('/')}/`);
const filterArb = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([ls, hash]) => (hash ? [...ls, '#'] : ls).join('/'))
  .filter((f) => f.length > 0);

describe('expandMountpoint', () => {
  test('%c and %u are replaced; an undefined username leaves %u as is', () => {
    assert.equal(expandMountpoint('tenant/%u/%c/', { clientId: 'c1', username: 'alice' }), 'tenant/alice/c1/');
    assert.equal(expandMountpoint('dev/%c/%u/', { clientId: 'c1', username: undefined }), 'dev/c1/%u/');
    assert.equal(expandMountpoint('plain/', { clientId: 'c1', username: 'a' }), 'plain/');
  });

  test('one pass: a username containing %c is not expanded again; unknown placeholders stay', () => {
    assert.equal(expandMountpoint('t/%u/', { clientId: 'c1', username: '%c' }), 't/%c/');
    assert.equal(expandMountpoint('t/%a/%%/', { clientId: 'c1', username: 'u' }), 't/%a/%%/');
  });

  test('an empty username is a value (replaced by nothing), unlike an absent one', () => {
    assert.equal(expandMountpoint('t/%u/', { clientId: 'c', username: '' }), 't//');
  });
});

describe('mountpointProblem / resolveMountpoint', () => {
  test('wildcards and NUL are refused; ordinary prefixes pass', () => {
    assert.equal(mountpointProblem('tenant/alice/'), undefined);
    assert.match(mountpointProblem('tenant/+/')!, /wildcard/);
    assert.match(mountpointProblem('tenant/#')!, /wildcard/);
    assert.match(mountpointProblem('a\u0000b/')!, /valid/);
  });

  test('a username expanding to a wildcard is refused; absent or empty grants nothing', () => {
    assert.deepEqual(resolveMountpoint('t/%u/', { clientId: 'c', username: '+' }), { problem: 'mountpoint contains a wildcard' });
    assert.deepEqual(resolveMountpoint('t/%u/', { clientId: 'c', username: 'bob' }), { mountpoint: 't/bob/' });
    assert.deepEqual(resolveMountpoint(undefined, { clientId: 'c', username: 'bob' }), {});
    assert.deepEqual(resolveMountpoint('', { clientId: 'c', username: 'bob' }), {});
  });
});

describe('mount / unmount', () => {
  test('topics and plain filters get the prefix', () => {
    assert.equal(mountTopic('m/', 't'), 'm/t');
    assert.equal(mountTopic(undefined, 't'), 't');
    assert.equal(mountFilter('m/', 'a/+/#'), 'm/a/+/#');
    assert.equal(mountFilter(undefined, 'a/#'), 'a/#');
  });

  test('shared filters keep $share/<group>/ (and $queue/) and mount the inner filter', () => {
    assert.equal(mountFilter('m/', '$share/g/a/#'), '$share/g/m/a/#');
    assert.equal(mountFilter('m/', '$queue/a'), '$queue/m/a');
    assert.equal(unmountFilter('m/', '$share/g/m/a/#'), '$share/g/a/#');
    assert.equal(unmountFilter('m/', '$queue/m/a'), '$queue/a');
  });

  test('a topic outside the mountpoint is left unchanged on unmount', () => {
    assert.equal(unmountTopic('m/', 'other/t'), 'other/t');
    assert.equal(unmountFilter('m/', 'other/#'), 'other/#');
    assert.equal(unmountTopic(undefined, 'm/t'), 'm/t');
  });

  test('property: unmount(mount(x)) = x for topics and filters, shared or not', () => {
    fc.assert(
      fc.property(mountpointArb, topicArb, (mp, topic) => {
        assert.equal(unmountTopic(mp, mountTopic(mp, topic)), topic);
      }),
    );
    fc.assert(
      fc.property(mountpointArb, filterArb, fc.option(fc.stringMatching(/^[a-z]{1,4}$/), { nil: undefined }), (mp, filter, group) => {
        const f = group === undefined ? filter : `$share/${group}/${filter}`;
        assert.equal(unmountFilter(mp, mountFilter(mp, f)), f);
      }),
    );
  });

  test('property: a mounted filter matches exactly the mounted topics its original matched', () => {
    fc.assert(
      fc.property(mountpointArb, filterArb, topicArb, (mp, filter, topic) => {
        fc.pre(isValidFilter(filter));
        assert.equal(matchTopic(mountFilter(mp, filter), mountTopic(mp, topic)), matchTopic(filter, topic));
      }),
    );
  });

  test('property: a mounted filter never matches a topic under another mountpoint', () => {
    fc.assert(
      fc.property(mountpointArb, mountpointArb, filterArb, topicArb, (mpA, mpB, filter, topic) => {
        // Neither prefix contains the other (e.g. a/ and a/b/ are nested namespaces by design).
        fc.pre(!mpA.startsWith(mpB) && !mpB.startsWith(mpA));
        assert.equal(matchTopic(mountFilter(mpA, filter), mountTopic(mpB, topic)), false);
      }),
    );
  });
});

describe('unmountOutgoing', () => {
  test('strips the prefix in place and downgrades QoS to the mounted subscription', () => {
    const client = { subscriptions: { 'm/t': { qos: 0 }, 'm/u': { qos: 2 } } };
    const a = { topic: 'm/t', qos: 1 };
    unmountOutgoing('m/', client, a);
    assert.deepEqual(a, { topic: 't', qos: 0 });
    const b = { topic: 'm/u', qos: 1 };
    unmountOutgoing('m/', client, b);
    assert.deepEqual(b, { topic: 'u', qos: 1 });
    const c = { topic: 'm/wild/x', qos: 2 };
    unmountOutgoing('m/', client, c);
    assert.deepEqual(c, { topic: 'wild/x', qos: 2 });
  });

  test('a topic outside the mountpoint is delivered as is', () => {
    const p = { topic: 'elsewhere/t', qos: 1 };
    unmountOutgoing('m/', { subscriptions: {} }, p);
    assert.deepEqual(p, { topic: 'elsewhere/t', qos: 1 });
  });
});
