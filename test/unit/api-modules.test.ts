import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { createTestApi, type TestApi } from '../helpers/api-fixtures.js';

let api: TestApi;
beforeEach(async () => {
  api = await createTestApi();
});
afterEach(async () => {
  await api.close();
});

test('POST /modules answers 201 {revision, module} with ETag and Location; defaults applied', async () => {
  const res = await api.call({
    method: 'POST',
    url: '/api/v1/modules',
    payload: { type: 'presence', config: { qos: 1 }, enabled: true, description: 'who is online' },
  });
  assert.equal(res.statusCode, 201);
  assert.deepEqual(res.json(), {
    revision: 1,
    module: { id: 'presence', type: 'presence', schemaVersion: 1, enabled: true, config: { qos: 1 }, description: 'who is online' },
  });
  assert.equal(res.headers['etag'], '"1"');
  assert.equal(res.headers['location'], '/api/v1/modules/presence');
  const bridge = await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'bridge', config: {}, enabled: false } });
  assert.equal(bridge.statusCode, 201);
  assert.equal(bridge.json().module.id, 'bridge:1');
  assert.deepEqual(bridge.json().module.config, { servers: [] });
  assert.equal(bridge.json().module.schemaVersion, 2);
});

test('GET /modules lists records with this node status (reconciler state, or starting/disabled when not yet applied)', async () => {
  await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'presence', config: {} } });
  await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'bridge', enabled: false } });
  await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'bridge', id: 'bridge:x' } });
  api.nodeStatus.appliedRevision = 2;
  api.nodeStatus.modules = [
    { id: 'presence', type: 'presence', state: 'failed', servingRevision: 1, error: 'boom', since: '2024-01-01T00:00:00.000Z' },
  ];
  const res = await api.call({ method: 'GET', url: '/api/v1/modules' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['etag'], '"3"');
  const body = res.json();
  assert.equal(body.revision, 3);
  assert.equal(body.appliedRevision, 2);
  assert.equal(body.node, 'test@node');
  assert.deepEqual(
    body.modules.map((m: { id: string; status: { state: string } }) => [m.id, m.status.state]),
    [
      ['presence', 'failed'],
      ['bridge:1', 'disabled'],
      ['bridge:x', 'starting'],
    ],
  );
  assert.equal(body.modules[0].status.error, 'boom');
  assert.equal(body.modules[0].config.qos, 0);
});

test('GET /modules/{id} -> {revision, module, status}; unknown id -> 404 MODMQ_MODULE_NOT_FOUND', async () => {
  await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'presence' } });
  const res = await api.call({ method: 'GET', url: '/api/v1/modules/presence' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.revision, 1);
  assert.equal(body.module.id, 'presence');
  assert.equal(body.status.state, 'starting');
  const missing = await api.call({ method: 'GET', url: '/api/v1/modules/nope' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'MODMQ_MODULE_NOT_FOUND');
});

test('invalid input -> 400 with problems {pointer, keyword, message}, nothing stored', async () => {
  const cases = [
    // module config against the type schema (from the service)
    { payload: { type: 'presence', config: { qos: 7 } }, code: 'MODMQ_INVALID_CONFIG', pointer: '/config/qos', keyword: 'enum' },
    { payload: { type: 'auth-http', config: {} }, code: 'MODMQ_INVALID_CONFIG', pointer: '/config/url', keyword: 'required' },
    { payload: { type: 'no-such-type' }, code: 'MODMQ_UNKNOWN_MODULE_TYPE', pointer: '/type', keyword: 'unknown-type' },
    // request shape (fastify validation)
    { payload: { config: {} }, code: 'MODMQ_INVALID_REQUEST', pointer: '/type', keyword: 'required' },
    { payload: { type: 'presence', bogus: 1 }, code: 'MODMQ_INVALID_REQUEST', pointer: '/bogus', keyword: 'additionalProperties' },
    { payload: { type: 'presence', enabled: 'yes' }, code: 'MODMQ_INVALID_REQUEST', pointer: '/enabled', keyword: 'type' },
  ];
  for (const c of cases) {
    const res = await api.call({ method: 'POST', url: '/api/v1/modules', payload: c.payload });
    assert.equal(res.statusCode, 400, JSON.stringify(c.payload));
    const body = res.json();
    assert.equal(body.code, c.code);
    assert.equal(typeof body.message, 'string');
    assert.ok(
      body.problems.some((p: { pointer: string; keyword: string; message: string }) => p.pointer === c.pointer && p.keyword === c.keyword && p.message),
      JSON.stringify(body.problems),
    );
  }
  assert.equal(api.service.current.revision, 0);
});

test('bad JSON and wrong path parameter types -> 400 MODMQ_INVALID_REQUEST', async () => {
  const res = await api.call({
    method: 'POST',
    url: '/api/v1/modules',
    headers: { 'content-type': 'application/json' },
    payload: '{"type": "presence",',
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 'MODMQ_INVALID_REQUEST');
  assert.deepEqual(res.json().problems, []);
  const rev = await api.call({ method: 'GET', url: '/api/v1/revisions/abc' });
  assert.equal(rev.statusCode, 400);
  assert.equal(rev.json().code, 'MODMQ_INVALID_REQUEST');
  assert.equal(rev.json().problems[0].keyword, 'type');
});

test('stale If-Match -> 409 MODMQ_REVISION_CONFLICT with the current revision; matching If-Match (quoted too) passes', async () => {
  await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'presence' } });
  await api.call({ method: 'PUT', url: '/api/v1/modules/presence', payload: { config: { qos: 1 } } });
  const stale = await api.call({ method: 'PUT', url: '/api/v1/modules/presence', headers: { 'if-match': '1' }, payload: { config: { qos: 2 } } });
  assert.equal(stale.statusCode, 409);
  assert.equal(stale.json().code, 'MODMQ_REVISION_CONFLICT');
  assert.equal(stale.json().revision, 2);
  assert.equal(stale.headers['etag'], '"2"');
  assert.equal(api.service.current.revision, 2);
  const ok = await api.call({ method: 'PUT', url: '/api/v1/modules/presence', headers: { 'if-match': '"2"' }, payload: { config: { qos: 2 } } });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().revision, 3);
  assert.deepEqual(ok.json().module.config, { qos: 2 });
  for (const [method, url] of [
    ['DELETE', '/api/v1/modules/presence'],
    ['POST', '/api/v1/modules/presence/disable'],
    ['POST', '/api/v1/revisions/1/restore'],
  ] as const) {
    const res = await api.call({ method, url, headers: { 'if-match': 'W/"1"' } });
    assert.equal(res.statusCode, 409, `${method} ${url}`);
    assert.equal(res.json().revision, 3);
  }
  const garbage = await api.call({ method: 'DELETE', url: '/api/v1/modules/presence', headers: { 'if-match': 'abc' } });
  assert.equal(garbage.statusCode, 400);
});

test('stale body revision -> 409; body revision and If-Match disagreeing -> 400', async () => {
  await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'presence' } });
  const stale = await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'bridge', revision: 0 } });
  assert.equal(stale.statusCode, 409);
  assert.equal(stale.json().revision, 1);
  const stalePut = await api.call({ method: 'PUT', url: '/api/v1/modules/presence', payload: { enabled: false, revision: 0 } });
  assert.equal(stalePut.statusCode, 409);
  const ok = await api.call({ method: 'PUT', url: '/api/v1/modules/presence', payload: { enabled: false, revision: 1 } });
  assert.equal(ok.statusCode, 200);
  const both = await api.call({
    method: 'PUT',
    url: '/api/v1/modules/presence',
    headers: { 'if-match': '2' },
    payload: { enabled: true, revision: 1 },
  });
  assert.equal(both.statusCode, 400);
  assert.equal(both.json().code, 'MODMQ_INVALID_REQUEST');
  assert.equal(api.service.current.revision, 2);
});

test('enable/disable/delete answer with the new revision; history records who and what', async () => {
  await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'presence' } });
  const disabled = await api.call({ method: 'POST', url: '/api/v1/modules/presence/disable' });
  assert.equal(disabled.statusCode, 200);
  assert.equal(disabled.json().revision, 2);
  assert.equal(disabled.json().module.enabled, false);
  const enabled = await api.call({ method: 'POST', url: '/api/v1/modules/presence/enable', payload: { revision: 2 } });
  assert.equal(enabled.json().module.enabled, true);
  const removed = await api.call({ method: 'DELETE', url: '/api/v1/modules/presence' });
  assert.equal(removed.statusCode, 200);
  assert.deepEqual(removed.json(), { revision: 4 });
  assert.equal(removed.headers['etag'], '"4"');
  const history = (await api.call({ method: 'GET', url: '/api/v1/revisions?limit=2' })).json();
  assert.equal(history.length, 2);
  assert.deepEqual(
    history.map((h: { revision: number; author: string; summary: string }) => [h.revision, h.author, h.summary]),
    [
      [4, 'admin', 'remove module presence'],
      [3, 'admin', 'update module presence'],
    ],
  );
  assert.equal(typeof history[0].at, 'string');
});

test('?wait=true waits for the reconciler and says whether it applied', async () => {
  await api.close();
  const waited: number[] = [];
  api = await createTestApi({ whenApplied: async (revision) => void waited.push(revision) });
  const res = await api.call({ method: 'POST', url: '/api/v1/modules?wait=true', payload: { type: 'presence' } });
  assert.equal(res.statusCode, 201);
  assert.equal(res.json().applied, true);
  assert.deepEqual(waited, [1]);
  const noWait = await api.call({ method: 'DELETE', url: '/api/v1/modules/presence' });
  assert.equal(noWait.json().applied, undefined);
  assert.deepEqual(waited, [1]);
});

test('an unexpected error is a 500 MODMQ_INTERNAL that hides the cause and logs it', async () => {
  api.service.list = async () => {
    throw new Error('disk on fire');
  };
  const res = await api.call({ method: 'GET', url: '/api/v1/modules' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.json().code, 'MODMQ_INTERNAL');
  assert.ok(!res.body.includes('disk on fire'));
  assert.ok(api.logs.join('').includes('disk on fire'));
});
