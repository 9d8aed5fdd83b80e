import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { PublishedMessage } from '../../src/broker/hooks.js';
import { DELAYED_DB_FILE, delayedPublish, type DelayedPublishConfig } from '../../src/modules/delayed-publish/index.js';
import { DelayedStore } from '../../src/modules/delayed-publish/delayed-store.js';
import { DelayedScheduler } from '../../src/modules/delayed-publish/scheduler.js';
import { DELAYED_SERVICE, type DelayedPublishService } from '../../src/modules/delayed-publish/service.js';
import type { ModuleContext, ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { createFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { moduleContext } from '../helpers/module-context.js';
import { waitFor } from '../helpers/mqtt-harness.js';

const silent = pino({ level: 'silent' });
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modmq-delayed-unit-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function msg(topic: string, payload = 'p', extra: Partial<PublishedMessage> = {}): PublishedMessage {
  return { topic, payload: Buffer.from(payload), qos: 1, retain: false, ...extra };
}

interface Running {
  fake: FakeBroker;
  instance: ModuleInstance<DelayedPublishConfig>;
  service: () => DelayedPublishService | undefined;
  logs: Array<Record<string, unknown>>;
  metrics: Registry;
}

async function start(dataDir: string, config: DelayedPublishConfig = { max_delayed_messages: 0 }, fake = createFakeBroker()): Promise<Running> {
  const exposed = new Map<string, unknown>();
  const logs: Array<Record<string, unknown>> = [];
  const metrics = new Registry();
  const ctx: ModuleContext = {
    ...moduleContext(fake, 'delayed', metrics),
    dataDir: async () => dataDir,
    log: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
    expose: (name, service) => {
      exposed.set(name, service);
      return () => exposed.delete(name);
    },
  };
  const instance = await delayedPublish.create(ctx, config);
  return { fake, instance, service: () => exposed.get(DELAYED_SERVICE) as DelayedPublishService | undefined, logs, metrics };
}

describe('delayed store', () => {
  test('insert, due order, list paging, delete by id and topic; properties round-trip', () => {
    const store = DelayedStore.open(':memory:');
    const base = { payload: Buffer.from('x'), qos: 1 as const, retain: false, properties: undefined, fromClientId: 'c', fromUsername: null, createdAt: 1 };
    const b = store.insert({ ...base, topic: 'b', publishAt: 2000 });
    const a = store.insert({
      ...base,
      topic: 'a',
      publishAt: 1000,
      properties: { correlationData: Buffer.from([1, 2, 3]), userProperties: { k: 'v' }, topicAlias: 3, contentType: 'text/plain' },
    });
    store.insert({ ...base, topic: 'b', publishAt: 3000 });
    assert.equal(store.count(), 3);
    assert.equal(store.nextDueAt(), 1000);
    assert.deepEqual(store.due(2000, 10).map((m) => m.id), [a, b]);
    const got = store.get(a)!;
    assert.deepEqual(got.properties, { correlationData: Buffer.from([1, 2, 3]), userProperties: { k: 'v' }, contentType: 'text/plain' });
    assert.deepEqual(store.list(1, 1).items.map((m) => m.id), [b]);
    assert.equal(store.list(0, 10, 'b').total, 2);
    assert.equal(store.deleteTopic('b'), 2);
    assert.equal(store.delete(a), true);
    assert.equal(store.delete(a), false);
    assert.equal(store.count(), 0);
    assert.equal(store.nextDueAt(), undefined);
    store.close();
  });
});

describe('delayed scheduler', () => {
  test('one timer armed for the earliest message; due messages published in order and removed', async () => {
    const store = DelayedStore.open(':memory:');
    const published: string[] = [];
    let now = 10_000;
    const scheduler = new DelayedScheduler({ store, log: silent, now: () => now, publish: async (m) => void published.push(m.topic) });
    const base = { payload: Buffer.from('x'), qos: 0 as const, retain: false, properties: undefined, fromClientId: null, fromUsername: null, createdAt: 0 };
    store.insert({ ...base, topic: 'later', publishAt: now + 3_600_000 });
    scheduler.start();
    assert.equal(scheduler.armedAt(), now + 3_600_000);
    // An earlier message re-arms; a later one does not.
    store.insert({ ...base, topic: 'soon', publishAt: now + 60_000 });
    scheduler.added(now + 60_000);
    assert.equal(scheduler.armedAt(), now + 60_000);
    store.insert({ ...base, topic: 'latest', publishAt: now + 7_200_000 });
    scheduler.added(now + 7_200_000);
    assert.equal(scheduler.armedAt(), now + 60_000);
    // Two messages fall due (the clock moved): both go out, in due order, and leave the store.
    now += 3_600_000;
    store.insert({ ...base, topic: 'now', publishAt: now - 1 });
    scheduler.start(); // re-arms from the store: the fake clock jumped past the armed time
    assert.equal(scheduler.armedAt(), 70_000);
    await waitFor(() => published.length === 3, 'three published');
    assert.deepEqual(published, ['soon', 'now', 'later']);
    await waitFor(() => scheduler.armedAt() === now - 3_600_000 + 7_200_000, 're-armed for the last one');
    assert.equal(store.count(), 1);
    await scheduler.stop();
    assert.equal(scheduler.armedAt(), undefined);
    store.close();
  });

  test('a failing publish is logged and dropped, not retried forever', async () => {
    const store = DelayedStore.open(':memory:');
    const outcomes: unknown[] = [];
    const scheduler = new DelayedScheduler({
      store,
      log: silent,
      publish: async () => {
        throw new Error('boom');
      },
      onPublished: (_m, error) => outcomes.push(error),
    });
    store.insert({ topic: 't', payload: Buffer.from(''), qos: 0, retain: false, properties: undefined, fromClientId: null, fromUsername: null, publishAt: 0, createdAt: 0 });
    scheduler.start();
    await waitFor(() => outcomes.length === 1, 'attempted');
    assert.match(String(outcomes[0]), /boom/);
    assert.equal(store.count(), 0);
    await scheduler.stop();
    store.close();
  });
});

describe('delayed-publish module', () => {
  test('plain topics continue; $delayed topics are stopped, stored and published when due', async () => {
    const d = join(dir, 'basic');
    const r = await start(d);
    try {
      const client = r.fake.connect({ clientId: 'pub1', username: 'alice' });
      assert.equal(r.fake.messagePublish(client, msg('a/b')), 'continue');
      assert.equal(r.fake.messagePublish(client, msg('$delayed/3600/later/x', 'L')), 'stop');
      assert.equal(r.fake.messagePublish(client, msg('$delayed/0/now/x', 'N', { qos: 2, retain: true, properties: { contentType: 'c' } })), 'stop');
      await waitFor(() => r.fake.published.length === 1, 'due message published');
      assert.deepEqual(r.fake.published[0], { topic: 'now/x', payload: Buffer.from('N'), qos: 2, retain: true, properties: { contentType: 'c' } });
      const list = await r.service()!.list({ offset: 0, limit: 10 });
      assert.equal(list.total, 1);
      const [entry] = list.items;
      assert.equal(entry!.topic, 'later/x');
      assert.equal(entry!.from_clientid, 'pub1');
      assert.equal(entry!.from_username, 'alice');
      assert.ok(entry!.remaining > 3500 && entry!.remaining <= 3600);
      assert.equal((await r.service()!.get(entry!.id))!.payload, Buffer.from('L').toString('base64'));
      const text = await r.metrics.metrics();
      assert.match(text, /modmq_delayed_messages 1/);
      assert.match(text, /modmq_delayed_messages_total\{result="stored"\} 2/);
      assert.match(text, /modmq_delayed_messages_total\{result="published"\} 1/);
    } finally {
      await r.instance.stop();
    }
    assert.equal(r.fake.hookCount(), 0);
    assert.equal(r.service(), undefined, 'service released');
  });

  test('invalid intervals are stopped with a log line and never published', async () => {
    const r = await start(join(dir, 'invalid'));
    try {
      assert.equal(r.fake.messagePublish(null, msg('$delayed/abc/x')), 'stop');
      assert.equal(r.fake.messagePublish(null, msg('$delayed/10')), 'stop');
      assert.equal(r.service()!.stats().count, 0);
      const rejected = r.logs.filter((l) => String(l['msg']).startsWith('delayed publish rejected'));
      assert.equal(rejected.length, 2);
      assert.equal(rejected[0]!['topic'], '$delayed/abc/x');
    } finally {
      await r.instance.stop();
    }
  });

  test('max_delayed_messages: over the limit dropped with a log line; hot update raises it', async () => {
    const r = await start(join(dir, 'limit'), { max_delayed_messages: 2 });
    try {
      for (const n of [1, 2, 3]) assert.equal(r.fake.messagePublish(null, msg(`$delayed/600/t/${n}`)), 'stop');
      assert.deepEqual(r.service()!.stats(), { count: 2, max: 2 });
      assert.ok(r.logs.some((l) => String(l['msg']).includes('max_delayed_messages reached') && l['topic'] === 't/3'));
      await r.instance.update!({ max_delayed_messages: 0 });
      r.fake.messagePublish(null, msg('$delayed/600/t/4'));
      assert.deepEqual(r.service()!.stats(), { count: 3, max: 0 });
      assert.deepEqual((await r.service()!.list({ offset: 0, limit: 10, topic: 't/4' })).items.map((e) => e.topic), ['t/4']);
      assert.equal(await r.service()!.deleteTopic('t/1'), 1);
      const first = (await r.service()!.list({ offset: 0, limit: 1 })).items[0]!;
      assert.equal(await r.service()!.delete(first.id), true);
      assert.equal(await r.service()!.delete(first.id), false);
      assert.equal(r.service()!.stats().count, 1);
    } finally {
      await r.instance.stop();
    }
  });

  test('restart: held messages survive; ones due during downtime are published at start', async () => {
    const d = join(dir, 'restart');
    const first = await start(d);
    first.fake.messagePublish(null, msg('$delayed/3600/keep', 'k'));
    first.fake.messagePublish(null, msg(`$delayed/${Math.floor(Date.now() / 1000) + 3600}/absolute`, 'a'));
    await first.instance.stop();
    // While the node is "down", one message falls due (written as the node would have).
    const store = DelayedStore.open(join(d, DELAYED_DB_FILE));
    store.insert({ topic: 'missed', payload: Buffer.from('m'), qos: 1, retain: false, properties: undefined, fromClientId: 'x', fromUsername: null, publishAt: Date.now() - 5000, createdAt: Date.now() - 10_000 });
    store.close();
    const second = await start(d);
    try {
      await waitFor(() => second.fake.published.length === 1, 'missed message published at start');
      assert.equal(second.fake.published[0]!.topic, 'missed');
      assert.deepEqual((await second.service()!.list({ offset: 0, limit: 10 })).items.map((e) => e.topic).sort(), ['absolute', 'keep']);
    } finally {
      await second.instance.stop();
    }
  });
});
