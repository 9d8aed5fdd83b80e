import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { componentName } from '../../src/api/openapi-schemas.js';
import { createTestApi, type TestApi } from '../helpers/api-fixtures.js';

let api: TestApi;
let doc: Record<string, any>;
before(async () => {
  api = await createTestApi();
  const res = await api.call({ method: 'GET', url: '/api/v1/openapi.json' });
  assert.equal(res.statusCode, 200);
  doc = JSON.parse(res.body);
});
after(async () => {
  await api.close();
});

/** Follows a local `#/a/b` reference inside the document. */
function resolveRef(ref: string): unknown {
  assert.ok(ref.startsWith('#/'), ref);
  let node: any = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    assert.ok(node !== null && typeof node === 'object' && key in node, `dangling $ref ${ref}`);
    node = node[key];
  }
  return node;
}

function walk(node: unknown, visit: (o: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node !== null && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

test('it is an OpenAPI 3.1 document with every registered route', () => {
  assert.equal(doc.openapi, '3.1.0');
  const expected: Array<[string, string]> = [
    ['/api/v1/modules', 'get'],
    ['/api/v1/modules', 'post'],
    ['/api/v1/modules/{id}', 'get'],
    ['/api/v1/modules/{id}', 'put'],
    ['/api/v1/modules/{id}', 'delete'],
    ['/api/v1/modules/{id}/enable', 'post'],
    ['/api/v1/modules/{id}/disable', 'post'],
    ['/api/v1/cluster', 'get'],
    ['/api/v1/cluster', 'put'],
    ['/api/v1/revisions', 'get'],
    ['/api/v1/revisions/{rev}', 'get'],
    ['/api/v1/revisions/{rev}/restore', 'post'],
    ['/api/v1/module-types', 'get'],
    ['/api/v1/module-types/{type}', 'get'],
    ['/api/v1/clients', 'get'],
    ['/api/v1/clients/{clientid}', 'get'],
    ['/api/v1/status', 'get'],
    ['/api/v1/nodes', 'get'],
    ['/api/v1/api-keys', 'get'],
    ['/api/v1/api-keys', 'post'],
    ['/api/v1/api-keys/{id}', 'delete'],
    ['/api/v1/openapi.json', 'get'],
    ['/metrics', 'get'],
    // Routes serving what modules expose (503 while the module is not running).
    ['/api/v1/auth/builtin-db/users', 'get'],
    ['/api/v1/auth/builtin-db/users', 'post'],
    ['/api/v1/auth/builtin-db/users/{kind}/{id}', 'get'],
    ['/api/v1/auth/builtin-db/users/{kind}/{id}', 'put'],
    ['/api/v1/auth/builtin-db/users/{kind}/{id}', 'delete'],
    ['/api/v1/auth/builtin-db/import', 'post'],
    ['/api/v1/auth/builtin-db/acl', 'get'],
    ['/api/v1/auth/builtin-db/acl', 'post'],
    ['/api/v1/auth/builtin-db/acl', 'delete'],
    ['/api/v1/delayed', 'get'],
    ['/api/v1/delayed', 'delete'],
    ['/api/v1/delayed/{id}', 'get'],
    ['/api/v1/delayed/{id}', 'delete'],
    ['/api/v1/retainer', 'get'],
    ['/api/v1/retainer/messages', 'get'],
    ['/api/v1/retainer/messages/{topic}', 'get'],
    ['/api/v1/retainer/messages/{topic}', 'delete'],
    ['/api/v1/recon/event-loop', 'get'],
    ['/api/v1/recon/memory', 'get'],
    ['/api/v1/recon/handles', 'get'],
    ['/api/v1/recon/top-clients', 'get'],
    ['/api/v1/recon/cpu-profile', 'get'],
    ['/api/v1/recon/heap-snapshot', 'get'],
  ];
  for (const [path, method] of expected) assert.ok(doc.paths[path]?.[method], `${method} ${path}`);
  const count = Object.values(doc.paths).reduce((n: number, ops: any) => n + Object.keys(ops).length, 0);
  assert.equal(count, expected.length, 'no unexpected operations (HEAD routes are left out)');
  const ids = new Set<string>();
  for (const ops of Object.values(doc.paths) as any[]) for (const op of Object.values(ops) as any[]) ids.add(op.operationId);
  assert.equal(ids.size, expected.length, 'operationIds are unique');
});

test('security: basic auth everywhere except /metrics; path parameters declared', () => {
  assert.deepEqual(doc.components.securitySchemes.basicAuth, { type: 'http', scheme: 'basic' });
  assert.deepEqual(doc.paths['/metrics'].get.security, []);
  assert.deepEqual(doc.paths['/api/v1/modules'].get.security, [{ basicAuth: [] }]);
  const params = doc.paths['/api/v1/modules/{id}'].put.parameters;
  assert.ok(params.some((p: any) => p.name === 'id' && p.in === 'path' && p.required));
  assert.ok(params.some((p: any) => p.name === 'If-Match' && p.in === 'header'));
});

test('every module type schema version is a component; module bodies are oneOf per type referencing them', () => {
  const schemas = doc.components.schemas;
  for (const [type, versions] of [['presence', [1]], ['auth-http', [1]], ['bridge', [1, 2]]] as const) {
    for (const v of versions) {
      const name = `modules.${type}.v${v}`;
      assert.ok(schemas[name], name);
      assert.equal(schemas[name].$id, undefined, '$id removed');
      assert.equal(schemas[name].type, 'object');
    }
    const create = schemas[`ModuleCreate.${type}`];
    assert.deepEqual(create.properties.type, { const: type });
    assert.ok(schemas.ModuleCreate.oneOf.some((o: any) => o.$ref === `#/components/schemas/ModuleCreate.${type}`));
    assert.ok(schemas.ModuleRecord.oneOf.some((o: any) => o.$ref === `#/components/schemas/ModuleRecord.${type}`));
  }
  assert.deepEqual(schemas['ModuleCreate.presence'].properties.config, { $ref: '#/components/schemas/modules.presence.v1' });
  assert.deepEqual(schemas['ModuleCreate.bridge'].properties.config, {
    oneOf: [{ $ref: '#/components/schemas/modules.bridge.v1' }, { $ref: '#/components/schemas/modules.bridge.v2' }],
  });
  assert.equal(doc.paths['/api/v1/modules'].post.requestBody.content['application/json'].schema.$ref, '#/components/schemas/ModuleCreate');
  // Relative $refs to shared defs became component refs, and the defs came along.
  assert.equal(schemas['modules.auth-http.v1'].properties.password.$ref, '#/components/schemas/defs.secret');
  assert.equal(schemas['defs.secret']['x-secret'], true);
  assert.equal(schemas['cluster.v1'].properties.settings.properties.acl_cache.properties.ttl.$ref, '#/components/schemas/defs.duration');
  assert.deepEqual(schemas.ClusterDocument, { $ref: '#/components/schemas/cluster.v1' });
});

test('every $ref in the document resolves inside it, and no $id/$schema is left', () => {
  let refs = 0;
  walk(doc, (o) => {
    if (typeof o['$ref'] === 'string') {
      refs++;
      resolveRef(o['$ref']);
    }
    assert.equal(o['x-unresolved-ref'], undefined);
    assert.equal(o['$schema'], undefined);
  });
  assert.ok(refs > 20);
});

test('component names come from schema $ids', () => {
  assert.equal(componentName('https://modmq.dev/schemas/modules/topic-rewrite/v3.json'), 'modules.topic-rewrite.v3');
  assert.equal(componentName('https://modmq.dev/schemas/defs/duration.json'), 'defs.duration');
});
