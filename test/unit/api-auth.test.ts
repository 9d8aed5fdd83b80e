import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseBasicAuth } from '../../src/api/auth.js';
import { basic, createTestApi, type TestApi } from '../helpers/api-fixtures.js';

let api: TestApi;
before(async () => {
  api = await createTestApi();
});
after(async () => {
  await api.close();
});

function assertUnauthorized(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }): void {
  assert.equal(res.statusCode, 401);
  assert.equal(res.headers['www-authenticate'], 'Basic realm="modmq"');
  const body = res.json() as { code: string; message: string; problems: unknown[] };
  assert.equal(body.code, 'MODMQ_UNAUTHORIZED');
  assert.equal(typeof body.message, 'string');
  assert.deepEqual(body.problems, []);
}

test('no credentials -> 401 with WWW-Authenticate and a JSON error, on every /api/v1 route', async () => {
  for (const url of ['/api/v1/modules', '/api/v1/cluster', '/api/v1/status', '/api/v1/openapi.json', '/api/v1/module-types', '/api/v1/nope']) {
    assertUnauthorized(await api.call({ method: 'GET', url, auth: null }));
  }
  assertUnauthorized(await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'presence' }, auth: null }));
  assert.equal(api.service.current.revision, 0, 'nothing was written');
});

test('wrong password, unknown user, malformed header -> 401', async () => {
  assertUnauthorized(await api.call({ method: 'GET', url: '/api/v1/modules', auth: basic('admin', 'wrong') }));
  assertUnauthorized(await api.call({ method: 'GET', url: '/api/v1/modules', auth: basic('mk_nobody', 'x') }));
  assertUnauthorized(await api.call({ method: 'GET', url: '/api/v1/modules', auth: 'Bearer abc' }));
  assertUnauthorized(await api.call({ method: 'GET', url: '/api/v1/modules', auth: 'Basic !!!' }));
});

test('admin password works', async () => {
  const res = await api.call({ method: 'GET', url: '/api/v1/status' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().node, 'test@node');
});

test('an admin API key can write and is recorded as the author', async () => {
  const created = await api.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'ci', role: 'admin' } });
  assert.equal(created.statusCode, 201);
  const key = created.json() as { id: string; secret: string; role: string; name: string };
  assert.equal(key.role, 'admin');
  const res = await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'presence' }, auth: basic(key.id, key.secret) });
  assert.equal(res.statusCode, 201);
  assert.equal(api.service.current.author, key.id);
  await api.call({ method: 'DELETE', url: '/api/v1/modules/presence' });
});

test('a viewer key reads but gets 403 on every write and on key management', async () => {
  const key = (await api.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'grafana' } })).json() as {
    id: string;
    secret: string;
    role: string;
  };
  assert.equal(key.role, 'viewer', 'viewer is the default role');
  const auth = basic(key.id, key.secret);
  assert.equal((await api.call({ method: 'GET', url: '/api/v1/modules', auth })).statusCode, 200);
  const before = api.service.current.revision;
  const writes = [
    { method: 'POST', url: '/api/v1/modules', payload: { type: 'presence' } },
    { method: 'PUT', url: '/api/v1/modules/presence', payload: { enabled: false } },
    { method: 'DELETE', url: '/api/v1/modules/presence' },
    { method: 'POST', url: '/api/v1/modules/presence/disable' },
    { method: 'PUT', url: '/api/v1/cluster', payload: { document: {} } },
    { method: 'POST', url: '/api/v1/revisions/0/restore' },
    { method: 'POST', url: '/api/v1/api-keys', payload: { name: 'x' } },
    { method: 'GET', url: '/api/v1/api-keys' },
  ] as const;
  for (const w of writes) {
    const res = await api.call({ ...w, auth });
    assert.equal(res.statusCode, 403, `${w.method} ${w.url}`);
    assert.equal(res.json().code, 'MODMQ_FORBIDDEN');
  }
  assert.equal(api.service.current.revision, before);
});

test('a revoked key gets 401; revoking an unknown key is 404', async () => {
  const key = (await api.call({ method: 'POST', url: '/api/v1/api-keys', payload: { name: 'tmp', role: 'admin' } })).json() as {
    id: string;
    secret: string;
  };
  const auth = basic(key.id, key.secret);
  assert.equal((await api.call({ method: 'GET', url: '/api/v1/status', auth })).statusCode, 200);
  const listed = (await api.call({ method: 'GET', url: '/api/v1/api-keys' })).json() as Array<Record<string, unknown>>;
  assert.ok(listed.some((k) => k['id'] === key.id));
  assert.ok(listed.every((k) => !('secret' in k)));
  const revoked = await api.call({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}` });
  assert.deepEqual(revoked.json(), { id: key.id, revoked: true });
  assertUnauthorized(await api.call({ method: 'GET', url: '/api/v1/status', auth }));
  const again = await api.call({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}` });
  assert.equal(again.statusCode, 404);
  assert.equal(again.json().code, 'MODMQ_NOT_FOUND');
});

test('/metrics is public; an unknown authenticated route is a JSON 404', async () => {
  assert.equal((await api.call({ method: 'GET', url: '/metrics', auth: null })).statusCode, 200);
  const res = await api.call({ method: 'GET', url: '/api/v1/nope' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().code, 'MODMQ_NOT_FOUND');
});

test('request logs never carry the Authorization header, bodies or secrets', async () => {
  api.logs.length = 0;
  await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'auth-http', config: { url: 'http://a', password: 'LOG-SECRET-42' } } });
  await api.call({ method: 'GET', url: '/api/v1/modules?reveal_secrets=true' });
  await api.call({ method: 'GET', url: '/api/v1/modules', auth: basic('admin', 'WRONG-PASSWORD-LOGGED?') });
  const text = api.logs.join('');
  assert.ok(text.includes('incoming request'), 'requests are logged');
  assert.ok(!text.includes('LOG-SECRET-42'));
  assert.ok(!text.includes('WRONG-PASSWORD-LOGGED'));
  assert.ok(!/authorization/i.test(text));
  assert.ok(!text.includes(Buffer.from('admin:').toString('base64').slice(0, 6)));
  await api.call({ method: 'DELETE', url: '/api/v1/modules/auth-http' });
});

test('parseBasicAuth splits at the first colon and rejects other schemes', () => {
  const enc = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.deepEqual(parseBasicAuth(enc('mk_1:a:b:c')), { user: 'mk_1', secret: 'a:b:c' });
  assert.deepEqual(parseBasicAuth(enc('admin:')), { user: 'admin', secret: '' });
  assert.equal(parseBasicAuth(enc(':x')), null);
  assert.equal(parseBasicAuth(enc('nocolon')), null);
  assert.equal(parseBasicAuth('Digest x'), null);
  assert.equal(parseBasicAuth(undefined), null);
});
