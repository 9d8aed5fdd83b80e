import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, basic, createTestApi, type TestApi } from '../helpers/api-fixtures.js';

let api: TestApi;
let base: string;
before(async () => {
  api = await createTestApi();
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const address = api.app.server.address() as AddressInfo;
  base = `http://127.0.0.1:${address.port}`;
});
after(async () => {
  await api.close();
});

const admin = { authorization: basic('admin', ADMIN_PASSWORD) };

test('over a real socket: 401 without credentials, then a full create/read/update/delete cycle', async () => {
  const denied = await fetch(`${base}/api/v1/modules`);
  assert.equal(denied.status, 401);
  assert.equal(denied.headers.get('www-authenticate'), 'Basic realm="modmq"');
  assert.equal(((await denied.json()) as { code: string }).code, 'MODMQ_UNAUTHORIZED');

  const created = await fetch(`${base}/api/v1/modules`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'auth-http', config: { url: 'http://auth', password: 'wire-secret' } }),
  });
  assert.equal(created.status, 201);
  const etag = created.headers.get('etag');
  assert.equal(etag, '"1"');
  const createdBody = (await created.json()) as { module: { config: { password: string } } };
  assert.equal(createdBody.module.config.password, '******');

  const updated = await fetch(`${base}/api/v1/modules/auth-http`, {
    method: 'PUT',
    headers: { ...admin, 'content-type': 'application/json', 'if-match': etag as string },
    body: JSON.stringify({ config: { url: 'http://auth2', password: '******' } }),
  });
  assert.equal(updated.status, 200);
  assert.equal(api.service.current.document.modules[0]?.config['password'], 'wire-secret');

  const stale = await fetch(`${base}/api/v1/modules/auth-http`, { method: 'DELETE', headers: { ...admin, 'if-match': etag as string } });
  assert.equal(stale.status, 409);
  assert.equal(((await stale.json()) as { revision: number }).revision, 2);

  const removed = await fetch(`${base}/api/v1/modules/auth-http`, { method: 'DELETE', headers: admin });
  assert.equal(removed.status, 200);
  assert.deepEqual(await removed.json(), { revision: 3 });
});

test('over a real socket: /metrics is public Prometheus text; openapi.json parses', async () => {
  const metrics = await fetch(`${base}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(await metrics.text(), /modmq_test_connections 3/);
  const openapi = await fetch(`${base}/api/v1/openapi.json`, { headers: admin });
  assert.equal(openapi.status, 200);
  const doc = (await openapi.json()) as { openapi: string; paths: Record<string, unknown> };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/api/v1/modules']);
});
