/**
 * What only the Redis store has to show: many-writer compare-and-set, notification through pub/sub,
 * convergence after missed notifications, re-seeding a Redis that lost its data, bounded failure
 * while Redis is down, and close() releasing every connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RevisionConflictError } from '../../src/store/config-store.js';
import { openRedisStore, redactUrl, type RedisConfigStore } from '../../src/store/redis-store.js';
import { docWith } from '../contract/config-store-contract.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

let redis: RedisServer;
let raw: Redis;
let clusters = 0;
before(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url, { maxRetriesPerRequest: 50, retryStrategy: () => 20 });
  raw.on('error', () => undefined); // down on purpose in the restart test
});
after(async () => {
  raw?.disconnect();
  await redis?.stop();
});

/** Resolves with the first revision >= `wanted` a watcher hears. */
function heard(store: RedisConfigStore, wanted: number): Promise<number> {
  return new Promise((resolve) => {
    const unwatch = store.watch((r) => {
      if (r >= wanted) {
        unwatch();
        resolve(r);
      }
    });
  });
}

describe('redis config store', () => {
  it('of five handles racing on one revision, exactly one wins', async () => {
    const name = `race${++clusters}`;
    const handles = await Promise.all(Array.from({ length: 5 }, () => openRedisStore({ url: redis.url, name })));
    const results = await Promise.allSettled(
      handles.map((h, i) => h.commit({ document: docWith(i), author: `w${i}`, summary: 'race', expectedRevision: 0 })),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof RevisionConflictError);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    assert.deepEqual((await handles[4]!.current()).document, docWith(winner));
    await Promise.all(handles.map((h) => h.close()));
  });

  it('keys are namespaced by cluster name', async () => {
    const a = await openRedisStore({ url: redis.url, name: `ns${++clusters}` });
    const b = await openRedisStore({ url: redis.url, name: `ns${++clusters}` });
    await a.commit({ document: docWith(1), author: 'a', summary: 's' });
    assert.equal((await b.current()).revision, 0);
    assert.equal(await raw.get(`modmq:{ns${clusters - 1}}:config:revision`), '1');
    await a.close();
    await b.close();
  });

  it('a handle that missed the notification converges on its periodic check', async () => {
    const name = `miss${++clusters}`;
    const writer = await openRedisStore({ url: redis.url, name });
    const reader = await openRedisStore({ url: redis.url, name, resyncIntervalMs: 20 });
    await writer.commit({ document: docWith(1), author: 'a', summary: 's' });
    await reader.current();
    const got = heard(reader, 2);
    // A write that publishes nothing: only the level-triggered check can see it.
    const ns = `modmq:{${name}}:config`;
    await raw.multi().set(`${ns}:revision`, '2').hset(`${ns}:docs`, '2', JSON.stringify(docWith(2)))
      .hset(`${ns}:meta`, '2', JSON.stringify({ author: 'x', at: new Date().toISOString(), summary: 'silent' })).exec();
    assert.equal(await got, 2);
    assert.deepEqual((await reader.current()).document, docWith(2));
    await writer.close();
    await reader.close();
  });

  it('commands fail (no hang) while Redis is down; after a restart that lost data, the store re-seeds its newest revision', async () => {
    const name = `restart${++clusters}`;
    const a = await openRedisStore({ url: redis.url, name, timeoutMs: 500, resyncIntervalMs: 50 });
    const b = await openRedisStore({ url: redis.url, name, timeoutMs: 500, resyncIntervalMs: 50 });
    await a.commit({ document: docWith(1), author: 'a', summary: 'one' });
    await a.commit({ document: docWith(2), author: 'a', summary: 'two' });
    await b.current();
    const bHeard = heard(b, 2);
    await redis.halt();
    await assert.rejects(a.commit({ document: docWith(3), author: 'a', summary: 'lost' }));
    await redis.restart(); // empty: nothing was persisted
    // Both handles knew revision 2: whichever reconnects first writes it back, number and all.
    await a.resync();
    const cur = await a.current();
    assert.equal(cur.revision, 2);
    assert.deepEqual(cur.document, docWith(2));
    assert.equal(cur.summary, 'two');
    assert.deepEqual((await b.history()).map((h) => h.revision), [2]);
    assert.equal(await bHeard, 2);
    const next = await b.commit({ document: docWith(4), author: 'b', summary: 'after', expectedRevision: 2 });
    assert.equal(next.revision, 3);
    await a.close();
    await b.close();
  });

  it('close() releases both connections', async () => {
    const name = `close${++clusters}`;
    const count = async (): Promise<number> =>
      String(await raw.call('CLIENT', 'LIST')).split('\n').filter((l) => l.includes(` name=modmq-config-${name} `)).length;
    const store = await openRedisStore({ url: redis.url, name });
    store.watch(() => undefined);
    assert.equal(await count(), 2);
    await store.close();
    for (let i = 0; i < 100 && (await count()) !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await count(), 0);
  });

  it('fails to open, naming the URL without its password, when Redis is unreachable', async () => {
    await assert.rejects(
      openRedisStore({ url: 'redis://:secret@127.0.0.1:1', name: 'x', timeoutMs: 300 }),
      (err: Error) => /cannot reach/.test(err.message) && !err.message.includes('secret'),
    );
    assert.equal(redactUrl('redis://user:pw@h:1/0'), 'redis://***@h:1/0');
  });
});
