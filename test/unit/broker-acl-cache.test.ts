import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AclCache, type AclCachePolicy } from '../../src/broker/acl-cache.js';

const policy = (over: Partial<AclCachePolicy> = {}): AclCachePolicy => ({ enable: true, maxSize: 3, ttlMs: 1000, generation: 1, ...over });

test('stores allow and deny per action and topic', () => {
  const p = policy();
  const c = new AclCache(1);
  c.set(p, 'publish', 't', true, 0);
  c.set(p, 'subscribe', 't', false, 0);
  assert.equal(c.get(p, 'publish', 't', 1), true);
  assert.equal(c.get(p, 'subscribe', 't', 1), false);
  assert.equal(c.get(p, 'publish', 'other', 1), undefined);
});

test('entries expire after the ttl', () => {
  const p = policy();
  const c = new AclCache(1);
  c.set(p, 'publish', 't', false, 100);
  assert.equal(c.get(p, 'publish', 't', 1099), false);
  assert.equal(c.get(p, 'publish', 't', 1100), undefined);
  assert.equal(c.size(), 0);
});

test('bounded: the oldest entry is evicted', () => {
  const p = policy();
  const c = new AclCache(1);
  for (const t of ['a', 'b', 'c', 'd']) c.set(p, 'publish', t, true, 0);
  assert.equal(c.size(), 3);
  assert.equal(c.get(p, 'publish', 'a', 1), undefined);
  assert.equal(c.get(p, 'publish', 'd', 1), true);
});

test('a new generation flushes everything', () => {
  const c = new AclCache(1);
  c.set(policy(), 'publish', 'a', true, 0);
  assert.equal(c.get(policy({ generation: 2 }), 'publish', 'a', 1), undefined);
  assert.equal(c.size(), 0);
});
