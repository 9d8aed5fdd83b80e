import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VERSION } from '../../src/api/app.js';
import { createTestApi, type TestApi } from '../helpers/api-fixtures.js';

let api: TestApi;
before(async () => {
  api = await createTestApi({ isImplemented: (type) => type !== 'bridge' });
});
after(async () => {
  await api.close();
});

test('GET /module-types lists the catalog with each latest schema and implemented flag', async () => {
  const res = await api.call({ method: 'GET', url: '/api/v1/module-types' });
  assert.equal(res.statusCode, 200);
  const types = res.json() as Array<Record<string, any>>;
  assert.deepEqual(types.map((t) => t['type']), ['presence', 'auth-http', 'bridge']);
  const bridge = types.find((t) => t['type'] === 'bridge') as Record<string, any>;
  assert.deepEqual(
    { family: bridge['family'], versions: bridge['versions'], latest: bridge['latest'], singleton: bridge['singleton'], implemented: bridge['implemented'] },
    { family: 'downlink', versions: [1, 2], latest: 2, singleton: false, implemented: false },
  );
  assert.equal(bridge['title'], 'Bridge');
  assert.equal(bridge['schema'].$id, 'https://modmq.dev/schemas/modules/bridge/v2.json');
  assert.equal(types.find((t) => t['type'] === 'presence')?.['implemented'], true);
});

test('GET /module-types/{type}?version=N; unknown type or version -> 404', async () => {
  const v1 = (await api.call({ method: 'GET', url: '/api/v1/module-types/bridge?version=1' })).json();
  assert.equal(v1.version, 1);
  assert.equal(v1.schema.$id, 'https://modmq.dev/schemas/modules/bridge/v1.json');
  const latest = (await api.call({ method: 'GET', url: '/api/v1/module-types/bridge' })).json();
  assert.equal(latest.version, 2);
  const unknown = await api.call({ method: 'GET', url: '/api/v1/module-types/nope' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().code, 'MODMQ_UNKNOWN_MODULE_TYPE');
  const badVersion = await api.call({ method: 'GET', url: '/api/v1/module-types/bridge?version=9' });
  assert.equal(badVersion.statusCode, 404);
  assert.deepEqual(badVersion.json().versions, [1, 2]);
});

test('implemented is left out when the node gives no way to know', async () => {
  const plain = await createTestApi();
  try {
    const types = (await plain.call({ method: 'GET', url: '/api/v1/module-types' })).json() as Array<Record<string, unknown>>;
    assert.ok(types.every((t) => !('implemented' in t)));
  } finally {
    await plain.close();
  }
});

test('GET /clients pages through connected clients ordered by id; /clients/{id} or 404', async () => {
  const all = (await api.call({ method: 'GET', url: '/api/v1/clients' })).json();
  assert.equal(all.total, 3);
  assert.deepEqual(all.clients.map((c: { clientId: string }) => c.clientId), ['c1', 'c2', 'c3']);
  const page = (await api.call({ method: 'GET', url: '/api/v1/clients?limit=1&offset=1' })).json();
  assert.deepEqual({ total: page.total, limit: page.limit, offset: page.offset, ids: page.clients.map((c: { clientId: string }) => c.clientId) }, {
    total: 3,
    limit: 1,
    offset: 1,
    ids: ['c2'],
  });
  const one = await api.call({ method: 'GET', url: '/api/v1/clients/c1' });
  assert.equal(one.json().username, 'u1');
  const missing = await api.call({ method: 'GET', url: '/api/v1/clients/zz' });
  assert.equal(missing.statusCode, 404);
  assert.equal((await api.call({ method: 'GET', url: '/api/v1/clients?limit=0' })).statusCode, 400);
});

test('GET /status reports node, revisions, uptime and version', async () => {
  api.nodeStatus.appliedRevision = 0;
  const body = (await api.call({ method: 'GET', url: '/api/v1/status' })).json();
  assert.equal(body.node, 'test@node');
  assert.equal(body.appliedRevision, 0);
  assert.equal(body.revision, api.service.current.revision);
  assert.equal(typeof body.uptime, 'number');
  assert.equal(body.version, VERSION);
});

test('GET /metrics serves the registry as Prometheus text without credentials', async () => {
  const res = await api.call({ method: 'GET', url: '/metrics', auth: null });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], api.metrics.contentType);
  assert.match(res.body, /# TYPE modmq_test_connections gauge\nmodmq_test_connections 3/);
});

test('revisions: list, read one, restore as a new revision; unknown revision -> 404', async () => {
  await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'presence', config: { qos: 1 } } });
  await api.call({ method: 'PUT', url: '/api/v1/modules/presence', payload: { config: { qos: 2 } } });
  const head = api.service.current.revision;
  const list = (await api.call({ method: 'GET', url: '/api/v1/revisions' })).json();
  assert.deepEqual(list.map((r: { revision: number }) => r.revision).slice(0, 2), [head, head - 1]);
  const old = await api.call({ method: 'GET', url: `/api/v1/revisions/${head - 1}` });
  assert.equal(old.statusCode, 200);
  assert.equal(old.json().revision, head - 1);
  assert.equal(old.json().document.modules[0].config.qos, 1);
  assert.equal(old.json().author, 'admin');
  const restored = await api.call({ method: 'POST', url: `/api/v1/revisions/${head - 1}/restore` });
  assert.equal(restored.statusCode, 200);
  assert.deepEqual(restored.json(), { revision: head + 1 });
  assert.equal(api.service.current.document.modules[0]?.config['qos'], 1);
  const missing = await api.call({ method: 'GET', url: '/api/v1/revisions/999' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'MODMQ_REVISION_NOT_FOUND');
  const missingRestore = await api.call({ method: 'POST', url: '/api/v1/revisions/999/restore' });
  assert.equal(missingRestore.statusCode, 404);
});
