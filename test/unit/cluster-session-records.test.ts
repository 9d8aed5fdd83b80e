/**
 * The cluster's Session Present record on a real redis-server: the same contract as the node's
 * memory record, keys that expire with the session, clusters that share a Redis without seeing
 * each other's records, and calls that fail (rather than wait) while Redis is down.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { MemorySessionRecords, type SessionRecords } from '../../src/broker/session-present.js';
import { redisClusterContext, type ClusterContext } from '../../src/cluster/cluster-context.js';
import { RedisSessionRecords } from '../../src/cluster/redis-session-records.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

const silent = pino({ level: 'silent' });
let redis: RedisServer;
let inspect: Redis;
const opened: RedisSessionRecords[] = [];
before(async () => {
  redis = await startRedis();
  inspect = new Redis(redis.url);
  inspect.on('error', () => undefined);
});
after(async () => {
  for (const records of opened) await records.close();
  inspect.disconnect();
  await redis.stop();
});

const freshCluster = (name = `t-${randomUUID().slice(0, 8)}`): ClusterContext => redisClusterContext(redis.url, name);
function openRecords(cluster = freshCluster()): RedisSessionRecords {
  const records = new RedisSessionRecords(cluster, silent);
  opened.push(records);
  return records;
}

async function eventually(what: string, predicate: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Settles with PROMISE's outcome, or fails the test if it is still pending after a generous bound (a hang). */
async function settled<T>(what: string, promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still pending: it hangs while Redis is down`)), 15_000);
  });
  try {
    return await Promise.race([Promise.allSettled([promise]).then(([r]) => r!), hang]);
  } finally {
    clearTimeout(timer);
  }
}

for (const kind of ['memory', 'redis'] as const) {
  test(`${kind} record: keep, exists, forget; a later keep replaces an earlier one`, async () => {
    const records: SessionRecords = kind === 'memory' ? new MemorySessionRecords() : openRecords();
    assert.equal(await records.exists('c1'), false);
    await records.keep('c1', Infinity);
    await records.keep('c2', Date.now() + 60_000);
    assert.equal(await records.exists('c1'), true);
    assert.equal(await records.exists('c2'), true);
    await records.forget('c1');
    assert.equal(await records.exists('c1'), false);
    assert.equal(await records.exists('c2'), true);
    // An expiry already past ends the session now.
    await records.keep('c2', Date.now() - 1);
    assert.equal(await records.exists('c2'), false);
    // Forgetting what is not there is fine; odd client ids are just ids.
    await records.forget('never-kept');
    for (const id of ['a/b+#', 'ünï cödé', 'x:{y}:z', ' ']) {
      await records.keep(id, Infinity);
      assert.equal(await records.exists(id), true, id);
    }
  });
}

describe('RedisSessionRecords keys', () => {
  test('one key per client id under the cluster prefix; Infinity has no TTL, a finite expiry is the TTL', async () => {
    const cluster = freshCluster();
    const records = openRecords(cluster);
    await records.keep('forever', Infinity);
    await records.keep('hour', Date.now() + 3_600_000);
    const keys = (await inspect.keys(`${cluster.keyPrefix}*`)).sort();
    assert.deepEqual(keys, [`${cluster.keyPrefix}session:forever`, `${cluster.keyPrefix}session:hour`]);
    assert.equal(await inspect.pttl(`${cluster.keyPrefix}session:forever`), -1);
    const ttl = await inspect.pttl(`${cluster.keyPrefix}session:hour`);
    assert.ok(ttl > 0 && ttl <= 3_600_000, `TTL ${ttl}`);
    // Resumed as a session that never expires: the old TTL goes.
    await records.keep('hour', Infinity);
    assert.equal(await inspect.pttl(`${cluster.keyPrefix}session:hour`), -1);
    // And back to a finite one.
    await records.keep('forever', Date.now() + 60_000);
    assert.ok((await inspect.pttl(`${cluster.keyPrefix}session:forever`)) > 0);
  });

  test('a finite expiry really expires: the session is then not present', async () => {
    const records = openRecords();
    await records.keep('short', Date.now() + 200);
    await eventually('the record to expire', async () => !(await records.exists('short')));
    assert.equal(await records.exists('short'), false);
  });

  test('two clusters on one Redis do not see each other\'s records', async () => {
    const a = openRecords(freshCluster('alpha'));
    const b = openRecords(freshCluster('beta'));
    await a.keep('same-id', Infinity);
    assert.equal(await a.exists('same-id'), true);
    assert.equal(await b.exists('same-id'), false);
    await b.keep('same-id', Infinity);
    await b.forget('same-id');
    assert.equal(await a.exists('same-id'), true);
    assert.equal(await b.exists('same-id'), false);
  });
});

describe('RedisSessionRecords while Redis is down', () => {
  test('calls reject instead of waiting for Redis; they work again once it is back', async () => {
    const records = openRecords();
    await records.keep('down', Infinity);
    await redis.halt();
    try {
      for (const [what, call] of [
        ['exists', () => records.exists('down')],
        ['keep', () => records.keep('down', Infinity)],
        ['forget', () => records.forget('down')],
      ] as const) {
        const outcome = await settled(what, (call as () => Promise<unknown>)());
        assert.equal(outcome.status, 'rejected', `${what} while Redis is down`);
      }
    } finally {
      await redis.restart();
    }
    // The restarted server is empty; the connection comes back by itself.
    await eventually('Redis to answer again', () => records.exists('down').then(() => true, () => false));
    await records.keep('down', Infinity);
    assert.equal(await records.exists('down'), true);
  });

  test('close() while Redis is down does not wait for it', async () => {
    const records = new RedisSessionRecords(freshCluster(), silent);
    await records.keep('x', Infinity);
    await redis.halt();
    try {
      const outcome = await settled('close', records.close());
      assert.equal(outcome.status, 'fulfilled');
      // Idempotent.
      await records.close();
    } finally {
      await redis.restart();
    }
  });
});
