import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { basic, createTestApi, type TestApi } from '../helpers/api-fixtures.js';

const SECRET = 'hunter2-Very-Secret';
const BRIDGE_SECRET = 'bridge-Pa55';
let api: TestApi;

beforeEach(async () => {
  api = await createTestApi();
  const a = await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'auth-http', config: { url: 'http://auth', password: SECRET } } });
  assert.equal(a.statusCode, 201);
  const b = await api.call({
    method: 'POST',
    url: '/api/v1/modules',
    payload: { type: 'bridge', id: 'bridge:eu', config: { servers: [{ host: 'a' }, { host: 'b', password: BRIDGE_SECRET }] } },
  });
  assert.equal(b.statusCode, 201);
});
afterEach(async () => {
  await api.close();
});

const stored = (id: string): Record<string, unknown> =>
  api.service.current.document.modules.find((m) => m.id === id)?.config as Record<string, unknown>;

function assertRedacted(body: string, label: string): void {
  assert.ok(!body.includes(SECRET), `${label} leaks the auth-http secret`);
  assert.ok(!body.includes(BRIDGE_SECRET), `${label} leaks the bridge secret`);
  assert.ok(body.includes('******'), `${label} shows the placeholder`);
}

test('secrets are redacted on every module-returning route, in /cluster and /revisions/{rev}', async () => {
  const routes = [
    { method: 'GET', url: '/api/v1/modules' },
    { method: 'GET', url: '/api/v1/modules/auth-http' },
    { method: 'GET', url: '/api/v1/modules/bridge:eu' },
    { method: 'PUT', url: '/api/v1/modules/auth-http', payload: { description: 'x' } },
    { method: 'POST', url: '/api/v1/modules/bridge:eu/disable' },
    { method: 'POST', url: '/api/v1/modules/bridge:eu/enable' },
    { method: 'GET', url: '/api/v1/cluster' },
    { method: 'GET', url: '/api/v1/revisions/2' },
  ] as const;
  for (const r of routes) {
    const res = await api.call(r);
    assert.equal(res.statusCode, 200, `${r.method} ${r.url}`);
    assertRedacted(res.body, `${r.method} ${r.url}`);
  }
  const one = (await api.call({ method: 'GET', url: '/api/v1/modules/bridge:eu' })).json();
  assert.deepEqual(one.module.config.servers, [{ host: 'a' }, { host: 'b', password: '******' }]);
  const created = await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'bridge', config: { servers: [{ host: 'c', password: 'new-one' }] } } });
  assert.equal(created.json().module.config.servers[0].password, '******');
  const cluster = (await api.call({ method: 'GET', url: '/api/v1/cluster' })).json();
  const put = await api.call({ method: 'PUT', url: '/api/v1/cluster', payload: { document: cluster.document } });
  assert.equal(put.statusCode, 200);
  assertRedacted(put.body, 'PUT /cluster');
  // The stored values are untouched by all this.
  assert.equal(stored('auth-http')['password'], SECRET);
});

test('reveal_secrets=true shows secrets to the admin user and admin keys only', async () => {
  const revealed = await api.call({ method: 'GET', url: '/api/v1/modules/auth-http?reveal_secrets=true' });
  assert.equal(revealed.json().module.config.password, SECRET);
  const cluster = await api.call({ method: 'GET', url: '/api/v1/cluster?reveal_secrets=true' });
  assert.ok(cluster.body.includes(BRIDGE_SECRET));
  const rev = await api.call({ method: 'GET', url: '/api/v1/revisions/2?reveal_secrets=true' });
  assert.ok(rev.body.includes(BRIDGE_SECRET));
  const adminKey = api.credentials.createKey('ops', 'admin');
  const byKey = await api.call({ method: 'GET', url: '/api/v1/modules?reveal_secrets=true', auth: basic(adminKey.id, adminKey.secret) });
  assert.ok(byKey.body.includes(SECRET));
  const viewer = api.credentials.createKey('ro', 'viewer');
  for (const url of ['/api/v1/modules?reveal_secrets=true', '/api/v1/cluster?reveal_secrets=true', '/api/v1/revisions/2?reveal_secrets=true']) {
    const res = await api.call({ method: 'GET', url, auth: basic(viewer.id, viewer.secret) });
    assert.equal(res.statusCode, 403, url);
    assert.equal(res.json().code, 'MODMQ_FORBIDDEN');
    assert.ok(!res.body.includes(SECRET));
  }
  const plain = await api.call({ method: 'GET', url: '/api/v1/modules?reveal_secrets=false' });
  assertRedacted(plain.body, 'reveal_secrets=false');
});

test('PUT of a redacted module config keeps the stored secrets; a new value replaces them', async () => {
  const read = (await api.call({ method: 'GET', url: '/api/v1/modules/bridge:eu' })).json();
  read.module.config.servers.push({ host: 'c' });
  const put = await api.call({ method: 'PUT', url: '/api/v1/modules/bridge:eu', payload: { config: read.module.config } });
  assert.equal(put.statusCode, 200);
  assert.deepEqual(stored('bridge:eu')['servers'], [{ host: 'a' }, { host: 'b', password: BRIDGE_SECRET }, { host: 'c' }]);
  const auth = (await api.call({ method: 'GET', url: '/api/v1/modules/auth-http' })).json();
  await api.call({ method: 'PUT', url: '/api/v1/modules/auth-http', payload: { config: { ...auth.module.config, url: 'http://new' } } });
  assert.deepEqual(stored('auth-http'), { url: 'http://new', password: SECRET, timeout: '5s' });
  await api.call({ method: 'PUT', url: '/api/v1/modules/auth-http', payload: { config: { url: 'http://new', password: 'rotated' } } });
  assert.equal(stored('auth-http')['password'], 'rotated');
});

test('a redacted cluster document round-trips through PUT /cluster without losing secrets', async () => {
  const before = structuredClone(api.service.current.document);
  const read = await api.call({ method: 'GET', url: '/api/v1/cluster' });
  const { revision, document } = read.json();
  // Bare document + If-Match form.
  const put = await api.call({ method: 'PUT', url: '/api/v1/cluster', headers: { 'if-match': String(revision) }, payload: document });
  assert.equal(put.statusCode, 200);
  assert.equal(put.json().revision, revision + 1);
  assert.deepEqual(api.service.current.document, before);
  // Wrapped form.
  const put2 = await api.call({ method: 'PUT', url: '/api/v1/cluster', payload: { document, revision: revision + 1 } });
  assert.equal(put2.statusCode, 200);
  assert.deepEqual(api.service.current.document, before);
  const stale = await api.call({ method: 'PUT', url: '/api/v1/cluster', payload: { document, revision } });
  assert.equal(stale.statusCode, 409);
  assert.equal(stale.json().revision, revision + 2);
});

test('"******" where nothing is stored is a 400 naming the pointer, and stores nothing', async () => {
  const rev = api.service.current.revision;
  const res = await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'bridge', config: { servers: [{ host: 'z', password: '******' }] } } });
  assert.equal(res.statusCode, 400);
  assert.deepEqual(
    res.json().problems.map((p: { pointer: string; keyword: string }) => [p.pointer, p.keyword]),
    [['/config/servers/0/password', 'x-secret']],
  );
  const cluster = (await api.call({ method: 'GET', url: '/api/v1/cluster' })).json().document;
  cluster.modules[1].config.servers.push({ host: 'new', password: '******' });
  const put = await api.call({ method: 'PUT', url: '/api/v1/cluster', payload: { document: cluster } });
  assert.equal(put.statusCode, 400);
  assert.equal(put.json().problems[0].pointer, '/modules/1/config/servers/2/password');
  assert.equal(api.service.current.revision, rev);
});

test('error answers never echo a secret sent in an invalid request', async () => {
  const res = await api.call({ method: 'PUT', url: '/api/v1/modules/auth-http', payload: { config: { url: '', password: 'LEAK-ME' } } });
  assert.equal(res.statusCode, 400);
  assert.ok(!res.body.includes('LEAK-ME'));
});
