/**
 * delayed-publish in cluster mode, on a real redis-server: the shared queue has the SQLite store's
 * semantics (same test on both), one node at a time releases (the lease), a dead owner's claimed
 * messages are released by the next one, and under normal operation nothing goes out twice.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { redisClusterContext, type ClusterContext } from '../../src/cluster/cluster-context.js';
import type { DelayedQueue } from '../../src/modules/delayed-publish/delayed-queue.js';
import { DelayedOwner } from '../../src/modules/delayed-publish/delayed-owner.js';
import { DelayedStore, type DelayedMessage, type NewDelayedMessage } from '../../src/modules/delayed-publish/delayed-store.js';
import { delayedPublish } from '../../src/modules/delayed-publish/index.js';
import { RedisDelayedStore } from '../../src/modules/delayed-publish/redis-delayed-store.js';
import { DELAYED_SERVICE, type DelayedPublishService } from '../../src/modules/delayed-publish/service.js';
import type { ModuleContext } from '../../src/modules/runtime/module-type.js';
import { createFakeBroker } from '../helpers/fake-broker.js';
import { moduleContext } from '../helpers/module-context.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

const silent = pino({ level: 'silent' });
let redis: RedisServer | undefined;
before(async () => {
  redis = await startRedis();
});
after(async () => redis?.stop());

const freshCluster = (): ClusterContext => redisClusterContext(redis!.url, randomUUID().slice(0, 8));
const prefixOf = (cluster: ClusterContext): string => `${cluster.keyPrefix}m:delayed-publish:`;
const openRedis = (cluster: ClusterContext): Promise<RedisDelayedStore> => RedisDelayedStore.open(cluster, prefixOf(cluster), () => undefined);

const base = { payload: Buffer.from('x'), qos: 1 as const, retain: false, properties: undefined, fromClientId: 'c', fromUsername: null, createdAt: 1 };
const held = (topic: string, publishAt: number, over: Partial<NewDelayedMessage> = {}): NewDelayedMessage => ({ ...base, topic, publishAt, ...over });

async function eventually(what: string, predicate: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const kind of ['sqlite', 'redis'] as const) {
  test(`store on ${kind}: insert, due order, list paging, get, delete by id and topic; properties round-trip`, async () => {
    const store: DelayedQueue = kind === 'sqlite' ? DelayedStore.open(':memory:') : await openRedis(freshCluster());
    // The claim a release owner makes on Redis (a lease held by "me"); a plain read on SQLite.
    const takeDue = async (now: number): Promise<DelayedMessage[]> => {
      if (!(store instanceof RedisDelayedStore)) return store.due(now, 10);
      await store.redis.set(store.keys.lease, 'me');
      return (await store.claim('me', now, 10))!;
    };
    try {
      const b = await store.insert(held('b', 2000), 0);
      const a = await store.insert(held('a', 1000, { properties: { correlationData: Buffer.from([1, 2, 3]), userProperties: { k: 'v' }, topicAlias: 3, contentType: 'text/plain' } }), 0);
      const c = await store.insert(held('b/c', 3000, { payload: Buffer.from([0, 255]), qos: 2, retain: true, fromUsername: 'u' }), 0);
      assert.equal(store.count(), 3);
      assert.equal(await store.nextDueAt(), 1000);
      assert.deepEqual((await store.list(1, 1)).items.map((m) => m.id), [b]);
      assert.deepEqual((await store.list(0, 10, 'b')).items.map((m) => m.id), [b]);
      const got = (await store.get(a))!;
      assert.deepEqual(got.properties, { correlationData: Buffer.from([1, 2, 3]), userProperties: { k: 'v' }, contentType: 'text/plain' });
      assert.deepEqual(await store.get(c), { ...held('b/c', 3000, { payload: Buffer.from([0, 255]), qos: 2, retain: true, fromUsername: 'u' }), id: c, properties: undefined });
      assert.deepEqual((await takeDue(2000)).map((m) => m.id), [a, b]);
      assert.equal(await store.delete(a), true, 'acknowledged after its publish');
      assert.equal(await store.delete(a), false);
      assert.equal(await store.deleteTopic('b/c'), 1);
      assert.equal(await store.delete(b), true);
      assert.equal(store.count(), 0);
      assert.equal(await store.nextDueAt(), undefined);
      assert.equal((await store.list(0, 10)).total, 0);
    } finally {
      await store.close();
    }
  });
}

describe('redis: the release lease', () => {
  function owner(store: RedisDelayedStore, cluster: ClusterContext, released: string[], nodeName: string, leaseMs = 300): DelayedOwner {
    return new DelayedOwner({ store, cluster, log: silent, leaseMs, nodeName, publish: async (m) => void released.push(m.topic) });
  }

  test('a restarted owner takes its own lease back at once and releases what its earlier run had claimed', async () => {
    const cluster = freshCluster();
    const store = await openRedis(cluster);
    const released: string[] = [];
    await store.insert(held('claimed-before-crash', 0), 0);
    // The earlier run of n1 holds a long lease and had claimed the message when it died.
    await store.redis.set(store.keys.lease, 'n1@host#earlier-run', 'PX', 3_600_000);
    assert.equal((await store.claim('n1@host#earlier-run', Date.now(), 10))!.length, 1);
    const other = owner(store, cluster, released, 'n2@host', 3_600_000);
    const restarted = owner(store, cluster, released, 'n1@host', 3_600_000);
    try {
      await other.start();
      assert.equal(other.owner, false, 'another node waits for the lease to run out');
      await restarted.start();
      assert.equal(restarted.owner, true, 'the same node name takes it over at once');
      await eventually('released', () => released.length === 1);
      assert.deepEqual(released, ['claimed-before-crash']);
    } finally {
      await other.stop();
      await restarted.stop();
      await store.close();
    }
  });

  test('two nodes: one owner at a time; every message released once; a stop hands the lease over', async () => {
    const cluster = freshCluster();
    const [sa, sb] = [await openRedis(cluster), await openRedis(cluster)];
    const released: string[] = [];
    const a = owner(sa, cluster, released, 'n1@host');
    const b = owner(sb, cluster, released, 'n2@host');
    try {
      await a.start();
      await b.start();
      assert.equal([a.owner, b.owner].filter(Boolean).length, 1, 'exactly one owner');
      const now = Date.now();
      const topics: string[] = [];
      for (let i = 0; i < 40; i++) {
        topics.push(`t/${i}`);
        // Added on both nodes, due soon, some at the same time.
        await (i % 2 === 0 ? sa : sb).insert(held(`t/${i}`, now + 100 + (i % 5) * 50), 0);
      }
      await eventually('all released', () => released.length >= 40);
      assert.deepEqual([...released].sort(), [...topics].sort(), 'each message released exactly once');
      const first = a.owner ? a : b;
      const second = first === a ? b : a;
      await first.stop();
      await eventually('the other node took over', () => second.owner);
      await (second === a ? sa : sb).insert(held('after', Date.now()), 0);
      await eventually('released by the new owner', () => released.includes('after'));
      assert.equal(released.length, 41);
    } finally {
      await a.stop();
      await b.stop();
      await sa.close();
      await sb.close();
    }
  });

  test("a dead owner's lease runs out: the next node requeues what it had claimed and releases everything due", async () => {
    const cluster = freshCluster();
    const store = await openRedis(cluster);
    const released: string[] = [];
    // A node that claimed one message and died: its lease is still there for a moment.
    await store.insert(held('claimed-by-dead', 0), 0);
    await store.insert(held('due', 0), 0);
    await store.insert(held('later', Date.now() + 3_600_000), 0);
    await store.redis.set(store.keys.lease, 'dead-node', 'PX', 400);
    assert.deepEqual((await store.claim('dead-node', Date.now(), 1))!.map((m) => m.topic), ['claimed-by-dead']);
    const survivor = owner(store, cluster, released, 'survivor@host');
    try {
      await survivor.start();
      assert.equal(survivor.owner, false, 'the lease is still held');
      assert.equal(await store.claim(survivor.token, Date.now(), 10), undefined, 'claims without the lease get nothing');
      await eventually('taken over and released', () => released.length === 2);
      assert.deepEqual([...released].sort(), ['claimed-by-dead', 'due']);
      assert.equal(survivor.owner, true);
      await eventually('the later one is still held, the released ones acknowledged', async () => (await store.list(0, 10)).total === 1 && store.count() === 1);
      assert.equal(await store.redis.zcard(store.keys.inflight), 0);
    } finally {
      await survivor.stop();
      await store.close();
    }
  });
});

test('module in cluster mode: a message held through one node is listed, deleted and limited through another', async () => {
  const cluster = freshCluster();
  const nodes = await Promise.all(['n1', 'n2'].map(async (name) => {
    const fake = createFakeBroker(`${name}@127.0.0.1`);
    const exposed = new Map<string, unknown>();
    const metrics = new Registry();
    const ctx: ModuleContext = {
      ...moduleContext(fake, 'delayed-publish', metrics),
      cluster,
      expose: (n, s) => {
        exposed.set(n, s);
        return () => exposed.delete(n);
      },
    };
    const instance = await delayedPublish.create(ctx, { max_delayed_messages: 2 });
    return { fake, instance, metrics, service: () => exposed.get(DELAYED_SERVICE) as DelayedPublishService };
  }));
  const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  try {
    const publish = (topic: string) => ({ topic, payload: Buffer.from('p'), qos: 1 as const, retain: false });
    // QoS 1 on Redis: the hook answers once Redis has the message (the broker holds the ack until then).
    assert.equal(await n1.fake.messagePublishSettled(null, publish('$delayed/3600/x/1')), 'stop');
    assert.equal(await n1.fake.messagePublishSettled(null, publish('$delayed/3600/x/2')), 'stop');
    await eventually('both held, seen from n2', async () => (await n2.service().list({ offset: 0, limit: 10 })).total === 2);
    // Refused by n2 whether its cached count is fresh or Redis refuses it: 0x97 either way.
    const refused = await n2.fake.messagePublishSettled(null, publish('$delayed/3600/x/3'));
    assert.equal(typeof refused === 'object' && refused.reasonCode, 0x97);
    await eventually('refused on n2', async () => /modmq_delayed_messages_total\{result="dropped_full"\} 1/.test(await n2.metrics.metrics()));
    assert.equal((await n1.service().list({ offset: 0, limit: 10 })).total, 2, 'max_delayed_messages holds cluster-wide');
    const [first] = (await n2.service().list({ offset: 0, limit: 1 })).items;
    assert.equal(await n2.service().delete(first!.id), true);
    assert.equal(await n1.service().get(first!.id), undefined);
    assert.equal(await n1.service().deleteTopic('x/2'), 1);
    assert.equal((await n2.service().list({ offset: 0, limit: 10 })).total, 0);
  } finally {
    for (const n of nodes) await n.instance.stop();
  }
});
