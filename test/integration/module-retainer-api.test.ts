/** The retainer's management API over fastify inject, backed by a real retainer instance. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { retainer, RETAINER_SERVICE } from '../../src/modules/retainer/index.js';
import { basic, createTestApi } from '../helpers/api-fixtures.js';
import { createFakeBroker } from '../helpers/fake-broker.js';

test('retainer API: summary, list by filter with paging, get with payload, delete; 403 for viewers; 503 when not running', async () => {
  const fake = createFakeBroker();
  const services = new Map<string, unknown>();
  const instance = await retainer.create(
    {
      moduleId: 'retainer',
      node: { name: 'n', dataDir: '/nonexistent' },
      dataDir: async () => '/nonexistent',
      log: pino({ level: 'silent' }),
      metrics: new Registry(),
      broker: fake.api,
      hooks: fake.hooks.scope('retainer'),
      expose: (name, service) => {
        services.set(name, service);
        return () => services.delete(name);
      },
    },
    { storage_type: 'ram', max_retained_messages: 0, max_payload_size: '1MB', expiry_interval: '0s', stop_publish_clear_msg: false },
  );
  const store = fake.retainedStore()!;
  const now = Date.now();
  for (const t of ['b/2', 'a/1', 'b/1', '$SYS/x']) store.store({ topic: t, payload: Buffer.from(`p-${t}`), qos: 1, storedAt: now });
  store.store({ topic: 'exp/soon', payload: Buffer.from('e'), qos: 0, storedAt: now, expiresAt: now + 3_600_000 });
  const api = await createTestApi({ services: { get: <T>(name: string) => services.get(name) as T | undefined } });
  try {
    const summary = (await api.call({ method: 'GET', url: '/api/v1/retainer' })).json();
    assert.equal(summary.storage, 'ram');
    assert.equal(summary.count, 5);
    assert.equal(summary.counters.stored, 5);

    const page = (await api.call({ method: 'GET', url: '/api/v1/retainer/messages?limit=2&offset=1' })).json();
    assert.equal(page.total, 5, '# lists every message, $SYS included');
    assert.deepEqual(page.messages.map((m: { topic: string }) => m.topic), ['a/1', 'b/1']);
    assert.equal(page.messages[0].payload_size, 5);
    assert.equal(page.messages[0].expires_at, null);
    const filtered = (await api.call({ method: 'GET', url: `/api/v1/retainer/messages?topic=${encodeURIComponent('b/+')}` })).json();
    assert.deepEqual(filtered.messages.map((m: { topic: string }) => m.topic), ['b/1', 'b/2']);
    const exp = (await api.call({ method: 'GET', url: '/api/v1/retainer/messages?topic=exp/%23' })).json();
    assert.equal(new Date(exp.messages[0].expires_at).getTime(), now + 3_600_000);
    assert.equal((await api.call({ method: 'GET', url: '/api/v1/retainer/messages?topic=a/%23/b' })).statusCode, 400);

    const one = await api.call({ method: 'GET', url: `/api/v1/retainer/messages/${encodeURIComponent('b/1')}` });
    assert.equal(one.statusCode, 200);
    assert.equal(Buffer.from(one.json().payload, 'base64').toString(), 'p-b/1');
    assert.equal((await api.call({ method: 'GET', url: '/api/v1/retainer/messages/nope' })).statusCode, 404);

    const key = api.credentials.createKey('v', 'viewer');
    assert.equal((await api.call({ method: 'GET', url: '/api/v1/retainer', auth: basic(key.id, key.secret) })).statusCode, 200);
    const url = `/api/v1/retainer/messages/${encodeURIComponent('b/1')}`;
    assert.equal((await api.call({ method: 'DELETE', url, auth: basic(key.id, key.secret) })).statusCode, 403);
    assert.deepEqual((await api.call({ method: 'DELETE', url })).json(), { topic: 'b/1', deleted: true });
    assert.equal((await api.call({ method: 'DELETE', url })).statusCode, 404);
    assert.deepEqual(store.match('b/1'), []);

    await instance.stop();
    const down = await api.call({ method: 'GET', url: '/api/v1/retainer/messages' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().code, 'MODMQ_MODULE_NOT_RUNNING');
  } finally {
    await api.close();
    await instance.stop();
  }
});
