import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BrokerApi, ClientStats } from '../../src/broker/broker-api.js';
import { recon, type ReconConfig } from '../../src/modules/recon/index.js';
import { RateLimiter } from '../../src/modules/recon/rate-limiter.js';
import { RECON_SERVICE, type ReconService } from '../../src/modules/recon/service.js';
import { TopClientsView } from '../../src/modules/recon/top-clients.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { basic, createClientsBroker, createTestApi, fakeClient, type TestApi } from '../helpers/api-fixtures.js';
import { createFakeBroker } from '../helpers/fake-broker.js';
import { moduleContext } from '../helpers/module-context.js';

const DEFAULTS: ReconConfig = {
  runtime_stats: true,
  top_clients: true,
  cpu_profile: true,
  heap_snapshot: false,
  max_profile_duration: '2s',
  rate_limit: { requests: 100, interval: '1m' },
};

async function startRecon(config: Partial<ReconConfig> = {}, broker: BrokerApi = createFakeBroker().api): Promise<{ instance: ModuleInstance<ReconConfig>; services: Map<string, unknown> }> {
  const services = new Map<string, unknown>();
  const fake = createFakeBroker();
  const ctx = {
    ...moduleContext({ api: broker, hooks: fake.hooks }, 'recon'),
    expose: (name: string, service: unknown) => {
      services.set(name, service);
      return () => services.delete(name);
    },
  };
  const instance = await recon.create(ctx, { ...DEFAULTS, ...config });
  return { instance, services };
}

async function withApi(config: Partial<ReconConfig>, body: (api: TestApi, instance: ModuleInstance<ReconConfig>) => Promise<void>, broker?: BrokerApi): Promise<void> {
  const { instance, services } = await startRecon(config, broker);
  const api = await createTestApi({ services: { get: <T>(name: string) => services.get(name) as T | undefined } });
  try {
    await body(api, instance);
  } finally {
    await instance.stop();
    await api.close();
  }
}

describe('rate limiter', () => {
  test('allows `requests` per window, then says when it reopens', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 10_000, () => now);
    assert.deepEqual(limiter.acquire(), { ok: true });
    assert.deepEqual(limiter.acquire(), { ok: true });
    now = 2_500;
    assert.deepEqual(limiter.acquire(), { ok: false, retryAfterSeconds: 8 });
    now = 10_000;
    assert.deepEqual(limiter.acquire(), { ok: true });
    limiter.configure(1, 10_000);
    assert.equal(limiter.acquire().ok, false);
  });
});

describe('top clients', () => {
  test('ranks by inflight, queued or rate; rates against an earlier query', () => {
    let now = 1_000_000;
    const stats: ClientStats[] = [
      { clientId: 'a', received: 10, sent: 0, inflight: 5, queued: 0, queuedBytes: 0 },
      { clientId: 'b', received: 0, sent: 100, inflight: 1, queued: 3, queuedBytes: 300 },
    ];
    const clients = [fakeClient('a', { connectedAt: now - 10_000, username: 'ua' }), fakeClient('b', { connectedAt: now - 10_000 })];
    const broker: BrokerApi = { ...createClientsBroker(clients), clientStats: () => stats.map((s) => ({ ...s })) };
    const view = new TopClientsView(broker, () => now);
    const first = view.top('inflight', 10);
    assert.equal(first.counters, true);
    assert.equal(first.window_seconds, null);
    assert.deepEqual(first.clients.map((c) => c.clientid), ['a', 'b']);
    assert.equal(first.clients[0]!.username, 'ua');
    assert.equal(first.clients[0]!.rate_in, 1); // 10 messages in 10 s since connect
    assert.deepEqual(view.top('queued', 1).clients.map((c) => [c.clientid, c.queued, c.queued_bytes]), [['b', 3, 300]]);
    now += 2_000;
    stats[0]!.received += 100;
    const byRate = view.top('rate', 10);
    assert.equal(byRate.window_seconds, 2);
    assert.deepEqual(byRate.clients.map((c) => [c.clientid, c.rate_in, c.rate_out]), [['a', 50, 0], ['b', 0, 0]]);
    assert.deepEqual(new TopClientsView(createClientsBroker([])).top('rate', 5), { by: 'rate', counters: false, window_seconds: null, clients: [] });
  });
});

describe('recon API', () => {
  test('each endpoint answers with its shape', async () => {
    const stats: ClientStats[] = [{ clientId: 'c1', received: 3, sent: 4, inflight: 2, queued: 1, queuedBytes: 10 }];
    const broker: BrokerApi = { ...createClientsBroker([fakeClient('c1')]), clientStats: () => stats };
    await withApi({}, async (api) => {
      const loop = (await api.call({ method: 'GET', url: '/api/v1/recon/event-loop' })).json();
      for (const k of ['min', 'max', 'mean', 'stddev', 'utilization', 'samples']) assert.equal(typeof loop[k], 'number', k);
      assert.deepEqual(Object.keys(loop.percentiles).sort(), ['p50', 'p90', 'p99', 'p999']);
      const mem = (await api.call({ method: 'GET', url: '/api/v1/recon/memory' })).json();
      assert.ok(mem.process.heapUsed > 0);
      assert.ok(mem.heap.used_heap_size > 0);
      assert.ok(mem.heap_spaces.some((s: { space: string }) => s.space === 'old_space'));
      assert.equal(typeof mem.gc.counts.major, 'number');
      const handles = (await api.call({ method: 'GET', url: '/api/v1/recon/handles' })).json();
      assert.equal(handles.total, Object.values(handles.by_type as Record<string, number>).reduce((a, b) => a + b, 0));
      const top = await api.call({ method: 'GET', url: '/api/v1/recon/top-clients?by=inflight&limit=5' });
      assert.equal(top.statusCode, 200);
      assert.deepEqual(top.json().clients.map((c: { clientid: string; inflight: number }) => [c.clientid, c.inflight]), [['c1', 2]]);
      assert.equal((await api.call({ method: 'GET', url: '/api/v1/recon/top-clients?by=nonsense' })).statusCode, 400);
    }, broker);
  });

  test('a CPU profile is a valid .cpuprofile; over max_profile_duration -> 400', async () => {
    await withApi({}, async (api) => {
      const res = await api.call({ method: 'GET', url: '/api/v1/recon/cpu-profile?duration=200ms' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-disposition']), /attachment; filename=".*\.cpuprofile"/);
      const profile = res.json() as { nodes: Array<{ id: number; callFrame: object }>; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };
      assert.ok(profile.nodes.length > 0 && profile.nodes[0]!.callFrame);
      assert.ok(profile.endTime > profile.startTime);
      assert.equal(profile.samples.length, profile.timeDeltas.length);
      const tooLong = await api.call({ method: 'GET', url: '/api/v1/recon/cpu-profile?duration=3s' });
      assert.equal(tooLong.statusCode, 400);
    });
  });

  test('features turned off answer 403; heap snapshot is off by default', async () => {
    await withApi({ runtime_stats: false, cpu_profile: false }, async (api) => {
      for (const url of ['/api/v1/recon/event-loop', '/api/v1/recon/cpu-profile?duration=1s', '/api/v1/recon/heap-snapshot']) {
        const res = await api.call({ method: 'GET', url });
        assert.equal(res.statusCode, 403, url);
        assert.equal(res.json().code, 'MODMQ_FORBIDDEN');
      }
    });
  });

  test('admin only: a viewer key gets 403, no credentials 401', async () => {
    await withApi({}, async (api) => {
      const key = api.credentials.createKey('ops', 'viewer');
      const res = await api.call({ method: 'GET', url: '/api/v1/recon/memory', auth: basic(key.id, key.secret) });
      assert.equal(res.statusCode, 403);
      assert.equal((await api.call({ method: 'GET', url: '/api/v1/recon/memory', auth: null })).statusCode, 401);
    });
  });

  test('rate limit: extra requests get 429 with Retry-After; a hot update changes the limit', async () => {
    await withApi({ rate_limit: { requests: 2, interval: '1h' } }, async (api, instance) => {
      assert.equal((await api.call({ method: 'GET', url: '/api/v1/recon/handles' })).statusCode, 200);
      assert.equal((await api.call({ method: 'GET', url: '/api/v1/recon/event-loop' })).statusCode, 200);
      const limited = await api.call({ method: 'GET', url: '/api/v1/recon/memory' });
      assert.equal(limited.statusCode, 429);
      assert.equal(limited.json().code, 'MODMQ_RATE_LIMITED');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      await instance.update!({ ...DEFAULTS, rate_limit: { requests: 5, interval: '1h' } });
      assert.equal((await api.call({ method: 'GET', url: '/api/v1/recon/memory' })).statusCode, 200);
    });
  });

  test('module not running -> 503 MODMQ_MODULE_NOT_RUNNING', async () => {
    const api = await createTestApi();
    try {
      const res = await api.call({ method: 'GET', url: '/api/v1/recon/event-loop' });
      assert.equal(res.statusCode, 503);
      assert.equal(res.json().code, 'MODMQ_MODULE_NOT_RUNNING');
    } finally {
      await api.close();
    }
  });

  test('heap snapshot when enabled streams .heapsnapshot JSON', async () => {
    await withApi({ heap_snapshot: true }, async (api) => {
      const res = await api.call({ method: 'GET', url: '/api/v1/recon/heap-snapshot' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-disposition']), /\.heapsnapshot"/);
      const snapshot = JSON.parse(res.body) as { snapshot: { meta: object; node_count: number } };
      assert.ok(snapshot.snapshot.meta);
      assert.ok(snapshot.snapshot.node_count > 0);
    });
  });

  test('the service is exposed under its name and released on stop', async () => {
    const { instance, services } = await startRecon();
    assert.equal(typeof (services.get(RECON_SERVICE) as ReconService).acquire, 'function');
    await instance.stop();
    assert.equal(services.size, 0);
  });
});
