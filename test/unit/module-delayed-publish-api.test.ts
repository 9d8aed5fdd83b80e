import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DelayedStore } from '../../src/modules/delayed-publish/delayed-store.js';
import { createDelayedService, DELAYED_SERVICE } from '../../src/modules/delayed-publish/service.js';
import { basic, createTestApi } from '../helpers/api-fixtures.js';

test('delayed API: list with paging and topic filter, get, delete one, delete a topic; 503 when not running', async () => {
  const store = DelayedStore.open(':memory:');
  const now = Date.now();
  const base = { payload: Buffer.from('hi'), qos: 1 as const, retain: false, properties: undefined, fromClientId: 'c1', fromUsername: 'u', createdAt: now };
  const ids = ['t/a', 't/b', 't/a'].map((topic, i) => store.insert({ ...base, topic, publishAt: now + (i + 1) * 60_000 }));
  let changed = 0;
  const services = new Map<string, unknown>([[DELAYED_SERVICE, createDelayedService(store, () => 10, () => changed++)]]);
  const api = await createTestApi({ services: { get: <T>(name: string) => services.get(name) as T | undefined } });
  try {
    const page = await api.call({ method: 'GET', url: '/api/v1/delayed?limit=2&offset=1' });
    assert.equal(page.statusCode, 200);
    const body = page.json();
    assert.equal(body.total, 3);
    assert.equal(body.max, 10);
    assert.deepEqual(body.messages.map((m: { id: number }) => m.id), [ids[1], ids[2]]);
    const m = body.messages[0];
    assert.equal(m.topic, 't/b');
    assert.equal(m.from_clientid, 'c1');
    assert.equal(m.qos, 1);
    assert.ok(m.remaining > 100 && m.remaining <= 120);
    assert.equal(new Date(m.publish_at).getTime(), now + 120_000);
    assert.equal((await api.call({ method: 'GET', url: '/api/v1/delayed?topic=t/a' })).json().total, 2);

    const one = await api.call({ method: 'GET', url: `/api/v1/delayed/${ids[0]}` });
    assert.equal(Buffer.from(one.json().payload, 'base64').toString(), 'hi');

    // Viewers may read but not delete.
    const key = api.credentials.createKey('v', 'viewer');
    assert.equal((await api.call({ method: 'GET', url: '/api/v1/delayed', auth: basic(key.id, key.secret) })).statusCode, 200);
    assert.equal((await api.call({ method: 'DELETE', url: `/api/v1/delayed/${ids[1]}`, auth: basic(key.id, key.secret) })).statusCode, 403);

    assert.deepEqual((await api.call({ method: 'DELETE', url: `/api/v1/delayed/${ids[1]}` })).json(), { id: ids[1], deleted: true });
    assert.equal((await api.call({ method: 'DELETE', url: `/api/v1/delayed/${ids[1]}` })).statusCode, 404);
    assert.deepEqual((await api.call({ method: 'DELETE', url: '/api/v1/delayed?topic=t/a' })).json(), { topic: 't/a', deleted: 2 });
    assert.equal((await api.call({ method: 'DELETE', url: '/api/v1/delayed' })).statusCode, 400, 'topic is required');
    assert.equal(store.count(), 0);
    assert.equal(changed, 2, 'the scheduler is told twice');

    services.clear();
    const down = await api.call({ method: 'GET', url: '/api/v1/delayed' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().code, 'MODMQ_MODULE_NOT_RUNNING');
  } finally {
    await api.close();
    store.close();
  }
});
