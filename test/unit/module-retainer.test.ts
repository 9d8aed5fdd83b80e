import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { redisClusterContext, type ClusterContext } from '../../src/cluster/cluster-context.js';
import { encodeRetained, RedisBackend } from '../../src/modules/retainer/redis-backend.js';
import type { RetainedBackend } from '../../src/modules/retainer/ram-backend.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { RetainedMessage } from '../../src/broker/hooks.js';
import { DiscBackend } from '../../src/modules/retainer/disc-backend.js';
import { retainer, type RetainerConfig, type RetainerService } from '../../src/modules/retainer/index.js';
import { parseByteSize, sweepPeriodMs, toPolicy } from '../../src/modules/retainer/policy.js';
import { RamBackend } from '../../src/modules/retainer/ram-backend.js';
import { Retainer } from '../../src/modules/retainer/retainer.js';
import { TopicIndex } from '../../src/modules/retainer/topic-index.js';
import type { ModuleContext } from '../../src/modules/runtime/module-type.js';
import { createFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modmq-retainer-'));
  dirs.push(dir);
  return dir;
}

let redis: RedisServer | undefined;
before(async () => {
  redis = await startRedis();
});
after(async () => redis?.stop());

/** A fresh cluster on the test Redis (no keys yet). */
const freshCluster = (): ClusterContext => redisClusterContext(redis!.url, randomUUID().slice(0, 8));

let opened: RetainedBackend[] = [];
async function closeOpened(): Promise<void> {
  for (const b of opened) {
    b.close();
    if (b instanceof RedisBackend) await b.closed();
  }
  opened = [];
}

/** A Redis backend as a node of `cluster` opens it (the module's key prefix). */
async function openRedisBackend(cluster: ClusterContext, maxMessages = 0, onRefusedFull: () => void = () => undefined): Promise<RedisBackend> {
  const b = await RedisBackend.open({
    cluster,
    prefix: `${cluster.keyPrefix}m:retainer:`,
    maxMessages: () => maxMessages,
    onRefusedFull,
    onError: () => undefined,
  });
  opened.push(b);
  return b;
}

async function openBackendOf(kind: 'ram' | 'redis'): Promise<RetainedBackend> {
  return kind === 'ram' ? new RamBackend() : openRedisBackend(freshCluster());
}

const config = (over: Partial<RetainerConfig> = {}): RetainerConfig => ({
  storage_type: 'ram',
  max_retained_messages: 0,
  max_payload_size: '1MB',
  expiry_interval: '0s',
  stop_publish_clear_msg: false,
  ...over,
});

const msg = (topic: string, payload = 'x', over: Partial<RetainedMessage> = {}): RetainedMessage => ({
  topic,
  payload: Buffer.from(payload),
  qos: 1,
  storedAt: 1000,
  ...over,
});

function ctxFor(fake: FakeBroker, dataDir: string, services: Map<string, unknown>): ModuleContext {
  return {
    moduleId: 'retainer',
    node: { name: fake.api.nodeName, dataDir },
    dataDir: async () => dataDir,
    log,
    metrics: new Registry(),
    broker: fake.api,
    hooks: fake.hooks.scope('retainer'),
    expose: (name, service) => {
      services.set(name, service);
      return () => services.delete(name);
    },
  };
}

describe('policy', () => {
  test('byte sizes are powers of 1024; a bad one throws', () => {
    assert.equal(parseByteSize('0B'), 0);
    assert.equal(parseByteSize('64KB'), 65536);
    assert.equal(parseByteSize('1MB'), 1048576);
    assert.equal(parseByteSize('2GB'), 2 * 1024 ** 3);
    assert.throws(() => parseByteSize('12 parsecs'));
  });

  test('disc_only runs as disc; defaults fill a partial config', () => {
    assert.equal(toPolicy({ storage_type: 'disc_only' }).storage, 'disc');
    assert.deepEqual(toPolicy({}), { storage: 'ram', maxMessages: 0, maxPayloadBytes: 1048576, expiryMs: 0, stopPublishClearMsg: false });
  });

  test('the sweep runs every expiry_interval, bounded to [1s, 1m]; every minute without one', () => {
    assert.equal(sweepPeriodMs(toPolicy({ expiry_interval: '0s' })), 60_000);
    assert.equal(sweepPeriodMs(toPolicy({ expiry_interval: '10s' })), 10_000);
    assert.equal(sweepPeriodMs(toPolicy({ expiry_interval: '10ms' })), 1_000);
    assert.equal(sweepPeriodMs(toPolicy({ expiry_interval: '2h' })), 60_000);
  });

  test('check() refuses what the policy cannot parse', () => {
    assert.deepEqual(retainer.check!(config()), []);
    assert.equal(retainer.check!(config({ expiry_interval: 'soon' })).length, 1);
  });
});

describe('topic index', () => {
  test('wildcards, the parent of #, and $ topics hidden from leading wildcards', () => {
    const index = new TopicIndex();
    for (const t of ['a', 'a/b', 'a/b/c', 'a//c', '/x', '$SYS/up', 'b']) index.add(t);
    const sorted = (f: string): string[] => index.match(f).sort();
    assert.deepEqual(sorted('#'), ['/x', 'a', 'a//c', 'a/b', 'a/b/c', 'b']);
    assert.deepEqual(sorted('a/#'), ['a', 'a//c', 'a/b', 'a/b/c']);
    assert.deepEqual(sorted('a/+/c'), ['a//c', 'a/b/c']);
    assert.deepEqual(sorted('+'), ['a', 'b']);
    assert.deepEqual(sorted('+/x'), ['/x']);
    assert.deepEqual(sorted('$SYS/#'), ['$SYS/up']);
    assert.deepEqual(sorted('+/up'), []);
  });

  test('add/remove keep the size and prune empty branches', () => {
    const index = new TopicIndex();
    assert.equal(index.add('a/b'), true);
    assert.equal(index.add('a/b'), false);
    assert.equal(index.add('a'), true);
    assert.equal(index.size, 2);
    assert.equal(index.remove('a/b'), true);
    assert.equal(index.remove('a/b'), false);
    assert.equal(index.has('a'), true);
    assert.deepEqual(index.match('a/#'), ['a']);
    assert.equal(index.remove('a'), true);
    assert.equal(index.size, 0);
    assert.deepEqual(index.all(), []);
  });
});

for (const kind of ['ram', 'redis'] as const) {
describe(`Retainer (limits and expiry) on ${kind}`, () => {
  afterEach(closeOpened);
  const backend = (): Promise<RetainedBackend> => openBackendOf(kind);

  test('a payload over max_payload_size is not stored', async () => {
    const r = new Retainer(await backend(), toPolicy({ max_payload_size: '4B' }), log);
    r.store(msg('big', '12345'));
    r.store(msg('ok', '1234'));
    assert.deepEqual(r.list().map((m) => m.topic), ['ok']);
    assert.equal(r.counters.refusedTooBig, 1);
  });

  test('0B max_payload_size means no limit', async () => {
    const r = new Retainer(await backend(), toPolicy({ max_payload_size: '0B' }), log);
    r.store(msg('big', 'y'.repeat(5000)));
    assert.equal(r.size, 1);
  });

  test('when full, new topics are refused but an existing one can be replaced or deleted', async () => {
    const r = new Retainer(await backend(), toPolicy({ max_retained_messages: 2 }), log);
    r.store(msg('a', '1'));
    r.store(msg('b', '1'));
    r.store(msg('c', '1'));
    assert.deepEqual(r.list().map((m) => m.topic).sort(), ['a', 'b']);
    r.store(msg('a', '2'));
    assert.equal(r.match('a')[0]!.payload.toString(), '2');
    r.remove('b');
    r.store(msg('c', '1'));
    assert.deepEqual(r.list().map((m) => m.topic).sort(), ['a', 'c']);
    assert.equal(r.counters.refusedFull, 1);
  });

  test('expiry_interval applies when the message has no expiry of its own; MQTT 5 expiry wins', async () => {
    let now = 1000;
    const r = new Retainer(await backend(), toPolicy({ expiry_interval: '10s' }), log, () => now);
    r.store(msg('default'));
    r.store(msg('own', 'x', { expiresAt: 1000 + 60_000 }));
    r.store(msg('short', 'x', { expiresAt: 1000 + 2_000 }));
    assert.equal(r.match('default')[0]!.expiresAt, 11_000);
    now = 3_000;
    assert.deepEqual(r.match('#').map((m) => m.topic).sort(), ['default', 'own']);
    now = 11_000;
    assert.deepEqual(r.match('#').map((m) => m.topic), ['own'], 'expired messages are never served, swept or not');
    assert.equal(r.size, 3);
    assert.equal(r.sweep(), 2);
    assert.equal(r.size, 1);
  });

  test('expiry_interval 0s keeps messages forever', async () => {
    let now = 0;
    const r = new Retainer(await backend(), toPolicy({}), log, () => now);
    r.store(msg('a'));
    now = 10 ** 12;
    assert.equal(r.match('a').length, 1);
    assert.equal(r.sweep(), 0);
  });
});
}

describe('Retainer storage migration', () => {
  test('migrateTo moves live messages only', async () => {
    let now = 0;
    const r = new Retainer(new RamBackend(), toPolicy({}), log, () => now);
    r.store(msg('keep'));
    r.store(msg('gone', 'x', { expiresAt: 5 }));
    now = 10;
    const disc = new DiscBackend(await tempDir());
    const previous = r.migrateTo(disc);
    assert.equal(previous.kind, 'ram');
    assert.equal(r.storage, 'disc');
    assert.deepEqual(r.list().map((m) => m.topic), ['keep']);
    r.close();
  });
});

describe('DiscBackend', () => {
  test('survives a reopen with payload, qos, properties (buffers included) and expiry', async () => {
    const dir = await tempDir();
    const a = new DiscBackend(dir);
    a.put(msg('t/1', 'one', { qos: 2, expiresAt: 99, properties: { contentType: 'text/plain', correlationData: Buffer.from([1, 2]), userProperties: { k: 'v' } } }));
    a.put(msg('t/2', 'two'));
    a.put(msg('t/2', 'two-b'));
    a.put(msg('t/3', 'three'));
    assert.equal(a.delete('t/3'), true);
    a.close();
    const b = new DiscBackend(dir);
    assert.equal(b.size, 2);
    const one = b.get('t/1')!;
    assert.equal(one.payload.toString(), 'one');
    assert.equal(one.qos, 2);
    assert.equal(one.expiresAt, 99);
    assert.deepEqual(one.properties, { contentType: 'text/plain', correlationData: Buffer.from([1, 2]), userProperties: { k: 'v' } });
    assert.equal(b.get('t/2')!.payload.toString(), 'two-b');
    assert.deepEqual(b.match('t/+').map((m) => m.topic).sort(), ['t/1', 't/2']);
    b.replaceAll([msg('only')]);
    b.close();
    const c = new DiscBackend(dir);
    assert.deepEqual([...c.values()].map((m) => m.topic), ['only']);
    c.close();
  });
});

describe('retainer module on the fake broker', () => {
  test('registers the retained store and the clear-message hook; stop removes both and the service', async () => {
    const fake = createFakeBroker();
    const services = new Map<string, unknown>();
    const instance = await retainer.create(ctxFor(fake, await tempDir(), services), config());
    const store = fake.retainedStore();
    assert.ok(store);
    store.store(msg('a/b', 'v'));
    assert.deepEqual(store.match('a/+').map((m) => m.payload.toString()), ['v']);
    const service = services.get('retainer') as RetainerService;
    assert.equal(service.count(), 1);
    assert.equal(service.storage(), 'ram');
    // stop_publish_clear_msg false: an empty retained publish is routed (the broker deletes it).
    assert.equal(fake.messagePublish(null, { topic: 'a/b', payload: Buffer.alloc(0), qos: 0, retain: true }), 'continue');
    await instance.stop();
    assert.equal(fake.hookCount(), 0);
    assert.equal(fake.retainedStore(), undefined);
    assert.equal(services.size, 0);
  });

  test('stop_publish_clear_msg: an empty retained publish deletes and is stopped; others continue', async () => {
    const fake = createFakeBroker();
    const instance = await retainer.create(ctxFor(fake, await tempDir(), new Map()), config({ stop_publish_clear_msg: true }));
    const store = fake.retainedStore()!;
    store.store(msg('a', 'v'));
    assert.equal(fake.messagePublish(null, { topic: 'a', payload: Buffer.alloc(0), qos: 0, retain: true }), 'stop');
    assert.deepEqual(store.match('a'), []);
    assert.equal(fake.messagePublish(null, { topic: 'a', payload: Buffer.alloc(0), qos: 0, retain: false }), 'continue');
    assert.equal(fake.messagePublish(null, { topic: 'a', payload: Buffer.from('p'), qos: 0, retain: true }), 'continue');
    await instance.update!(config({ stop_publish_clear_msg: false }));
    assert.equal(fake.messagePublish(null, { topic: 'a', payload: Buffer.alloc(0), qos: 0, retain: true }), 'continue');
    await instance.stop();
  });

  test('disc storage survives stop and create (re-enable); ram does not', async () => {
    const dir = await tempDir();
    const fake = createFakeBroker();
    let instance = await retainer.create(ctxFor(fake, dir, new Map()), config({ storage_type: 'disc' }));
    fake.retainedStore()!.store(msg('kept', 'on disc'));
    await instance.stop();
    instance = await retainer.create(ctxFor(fake, dir, new Map()), config({ storage_type: 'disc' }));
    assert.equal(fake.retainedStore()!.match('kept')[0]!.payload.toString(), 'on disc');
    await instance.stop();

    instance = await retainer.create(ctxFor(fake, dir, new Map()), config());
    fake.retainedStore()!.store(msg('ram', 'gone'));
    await instance.stop();
    instance = await retainer.create(ctxFor(fake, dir, new Map()), config());
    assert.deepEqual(fake.retainedStore()!.match('ram'), []);
    await instance.stop();
  });

  test('changing storage type moves what is stored (ram -> disc -> ram), and disc keeps no stale copy', async () => {
    const dir = await tempDir();
    const fake = createFakeBroker();
    const services = new Map<string, unknown>();
    const instance = await retainer.create(ctxFor(fake, dir, services), config());
    const store = fake.retainedStore()!;
    store.store(msg('m/1', 'one'));
    store.store(msg('m/2', 'two'));
    await instance.update!(config({ storage_type: 'disc' }));
    const service = services.get('retainer') as RetainerService;
    assert.equal(service.storage(), 'disc');
    assert.deepEqual(store.match('m/#').map((m) => m.payload.toString()).sort(), ['one', 'two']);
    // Written to disc: a separate reader sees it.
    const peek = new DiscBackend(dir);
    assert.equal(peek.size, 2);
    peek.close();
    store.remove('m/1');
    await instance.update!(config({ storage_type: 'ram' }));
    assert.equal(service.storage(), 'ram');
    assert.deepEqual(store.match('m/#').map((m) => m.payload.toString()), ['two']);
    const after = new DiscBackend(dir);
    assert.equal(after.size, 0, 'moved, not copied');
    after.close();
    await instance.stop();
  });

  test('an update with a bad value rejects and keeps the previous config', async () => {
    const fake = createFakeBroker();
    const instance = await retainer.create(ctxFor(fake, await tempDir(), new Map()), config({ max_payload_size: '4B' }));
    await assert.rejects(instance.update!(config({ max_payload_size: 'huge' })));
    fake.retainedStore()!.store(msg('a', '12345'));
    assert.deepEqual(fake.retainedStore()!.match('a'), [], 'the 4B limit is still in force');
    await instance.stop();
  });
});

/** Polls a condition (bounded; no timing asserted). */
async function eventually(what: string, predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('RedisBackend: nodes share one store', () => {
  afterEach(closeOpened);

  test('a message stored on one node is matched on another (properties, expiry); a delete anywhere removes it; a new node loads it', async () => {
    const cluster = freshCluster();
    const a = await openRedisBackend(cluster);
    const b = await openRedisBackend(cluster);
    a.put(msg('s/1/t', 'one', { properties: { correlationData: Buffer.from([1, 2]), userProperties: { k: 'v' } }, expiresAt: 10 ** 13 }));
    a.put(msg('s/2/t', 'two'));
    await eventually('B has both', () => b.size === 2);
    const got = b.match('s/+/t').sort((x, y) => x.topic.localeCompare(y.topic));
    assert.deepEqual(got.map((m) => m.payload.toString()), ['one', 'two']);
    assert.deepEqual(got[0]!.properties, { correlationData: Buffer.from([1, 2]), userProperties: { k: 'v' } });
    assert.equal(got[0]!.expiresAt, 10 ** 13);
    assert.equal(got[0]!.qos, 1);
    b.delete('s/1/t');
    await eventually('A lost it', () => a.get('s/1/t') === undefined);
    const c = await openRedisBackend(cluster);
    assert.deepEqual([...c.values()].map((m) => m.topic), ['s/2/t'], 'a node that starts later loads what Redis holds');
  });

  test('max_retained_messages holds cluster-wide: Redis refuses a new topic from a node whose copy lags', async () => {
    const cluster = freshCluster();
    let refused = 0;
    const a = await openRedisBackend(cluster, 2);
    const b = await openRedisBackend(cluster, 2, () => refused++);
    a.put(msg('a'));
    a.put(msg('b'));
    await eventually('B sees the two', () => b.size === 2);
    b.put(msg('c'));
    await eventually('the refusal is reported', () => refused === 1);
    assert.equal(b.get('c'), undefined, "B's optimistic copy is withdrawn");
    b.put(msg('a', 'replaced'));
    await eventually('a replace is allowed when full', () => a.get('a')?.payload.toString() === 'replaced');
    assert.equal(a.get('c'), undefined);
  });

  test('the expiry sweep removes only what Redis holds as expired, on every node', async () => {
    const cluster = freshCluster();
    const a = await openRedisBackend(cluster);
    const b = await openRedisBackend(cluster);
    a.put(msg('old', 'x', { expiresAt: 100 }));
    a.put(msg('t', 'x', { expiresAt: 100 }));
    await eventually('B has both', () => b.size === 2);
    b.put(msg('t', 'live')); // replaces the expiring one, no expiry
    await b.reload(); // B's write is in Redis
    assert.equal(a.sweepExpired(200) >= 1, true);
    await eventually('the expired one is gone on B', () => b.get('old') === undefined);
    await eventually('A converges on the live message', () => a.get('t')?.payload.toString() === 'live');
    assert.equal(b.get('t')?.payload.toString(), 'live', 'a stale local copy never deletes a newer message');
  });

  test('a missed change (sequence gap) makes a node reload what Redis holds', async () => {
    const cluster = freshCluster();
    const a = await openRedisBackend(cluster);
    const raw = cluster.connect();
    try {
      const prefix = `${cluster.keyPrefix}m:retainer:`;
      // A change whose event A never hears, then an event far ahead in the sequence.
      await raw.hset(`${prefix}msgs`, 'missed', encodeRetained(msg('missed', 'm')));
      await raw.set(`${prefix}seq`, '100');
      await raw.publish(`${prefix}events`, 'D100 4 none');
      await eventually('A reloaded', () => a.get('missed')?.payload.toString() === 'm');
    } finally {
      await raw.quit();
    }
  });

  test('a replica resyncs after Redis comes back (here: empty, as without persistence)', async () => {
    const cluster = freshCluster();
    const a = await openRedisBackend(cluster);
    a.put(msg('before', 'x'));
    await a.reload();
    assert.equal(a.size, 1);
    await redis!.restart();
    await eventually('the replica reloaded what Redis holds', () => a.size === 0);
    a.put(msg('after', 'y'));
    await a.reload(); // same connection: the store went first
    const b = await openRedisBackend(cluster);
    assert.deepEqual([...b.values()].map((m) => m.topic), ['after'], 'writes reach Redis again');
  });

  test('the module in cluster mode: storage is redis whatever storage_type says; a storage_type change moves nothing', async () => {
    const fake = createFakeBroker();
    const services = new Map<string, unknown>();
    const ctx = { ...ctxFor(fake, await tempDir(), services), cluster: freshCluster() };
    const instance = await retainer.create(ctx, config({ storage_type: 'disc' }));
    try {
      const service = services.get('retainer') as RetainerService;
      assert.equal(service.storage(), 'redis');
      fake.retainedStore()!.store(msg('k', 'v'));
      await instance.update!(config({ storage_type: 'ram' }));
      assert.equal(service.storage(), 'redis');
      assert.equal(service.get('k')?.payload.toString(), 'v');
    } finally {
      await instance.stop();
    }
  });
});
