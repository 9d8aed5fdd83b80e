import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createSchemaCatalog } from '../../src/schema/schema-catalog.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';

const fixtures = fileURLToPath(new URL('../fixtures/schemas/', import.meta.url));
const catalog = await createSchemaCatalog({ schemasDir: fixtures });

test('module types come from modules/<type>/v<N>.json with their x- keywords', () => {
  assert.deepEqual(catalog.moduleTypes().map((t) => [t.type, t.family, t.versions, t.latest, t.singleton]), [
    ['demo-multi', 'extension', [1, 2], 2, false],
    ['demo-sink', 'downlink', [1], 1, true],
  ]);
  assert.equal(catalog.moduleType('demo-sink')?.title, 'Demo sink');
  assert.equal(catalog.moduleType('nope'), undefined);
  assert.equal((catalog.moduleSchema('demo-multi', 1) as { $id: string }).$id, 'https://modmq.dev/schemas/modules/demo-multi/v1.json');
  assert.equal((catalog.moduleSchema('demo-multi') as { $id: string }).$id, 'https://modmq.dev/schemas/modules/demo-multi/v2.json');
  assert.equal(catalog.moduleSchema('demo-multi', 9), undefined);
  assert.equal((catalog.clusterSchema() as { $id: string }).$id, 'https://modmq.dev/schemas/cluster/v1.json');
});

test('validateModuleConfig applies defaults to a copy', () => {
  const input = { server: 'h:1' };
  const result = catalog.validateModuleConfig('demo-sink', 1, input);
  assert.ok(result.ok);
  assert.deepEqual(result.value, { server: 'h:1', password: '', qos: 1, mode: 'async', timeout: '5s', pool_size: 'auto', headers: {}, routes: [] });
  assert.deepEqual(input, { server: 'h:1' }, 'input untouched');
});

test('unknown type and version are problems, not throws', () => {
  assert.deepEqual(catalog.validateModuleConfig('ghost', 1, {}), { ok: false, problems: [{ pointer: '', keyword: 'unknown-type', message: "unknown module type 'ghost'" }] });
  const r = catalog.validateModuleConfig('demo-multi', 3, {});
  assert.ok(!r.ok && r.problems[0]?.keyword === 'unknown-version');
});

test('secretPointers follows $ref into defs/secret.json, items and additionalProperties', () => {
  assert.deepEqual(catalog.secretPointers('demo-sink', 1), ['/headers/*', '/password', '/routes/*/token']);
  assert.deepEqual(catalog.secretPointers('demo-multi', 1), []);
  assert.deepEqual(catalog.secretPointers('ghost', 1), []);
});

test('an empty cluster document gets the default settings', () => {
  const result = catalog.validateCluster({ version: 1 });
  assert.ok(result.ok);
  assert.deepEqual(result.value, { version: 1, settings: DEFAULT_SETTINGS, modules: [] });
});

test('cluster settings are checked with additionalProperties false', () => {
  const result = catalog.validateCluster({ version: 1, settings: { acl_nomatch: 'maybe', acl_cache: { max_size: 0, ttl: '1x' }, extra: 1 } });
  assert.ok(!result.ok);
  assert.deepEqual(result.problems.map((p) => [p.pointer, p.keyword]), [
    ['/settings/extra', 'additionalProperties'],
    ['/settings/acl_nomatch', 'enum'],
    ['/settings/acl_cache/max_size', 'minimum'],
    ['/settings/acl_cache/ttl', 'pattern'],
  ]);
});

test('validateCluster cross-checks ids, singletons and each module config', () => {
  const result = catalog.validateCluster({
    version: 1,
    modules: [
      { id: 'demo-sink', type: 'demo-sink', schemaVersion: 1, config: { server: 'a:1' } },
      { id: 'demo-multi:a', type: 'demo-multi', schemaVersion: 1 },
      { id: 'demo-multi:a', type: 'demo-multi', schemaVersion: 2 },
      { id: 'demo-sink:two', type: 'demo-sink', schemaVersion: 1, config: { qos: 5 } },
      { id: 'ghost', type: 'ghost', schemaVersion: 1 },
      { id: 'x', type: 'demo-multi', schemaVersion: 7 },
    ],
  });
  assert.ok(!result.ok);
  assert.deepEqual(result.problems.map((p) => [p.pointer, p.keyword]), [
    ['/modules/2/id', 'unique-id'],
    ['/modules/3/id', 'singleton'],
    ['/modules/5/id', 'id-type'],
    ['/modules/3/config/server', 'required'],
    ['/modules/3/config/qos', 'enum'],
    ['/modules/4/type', 'unknown-type'],
    ['/modules/5/schemaVersion', 'unknown-version'],
  ]);
});

test('a valid cluster comes back with module configs and records defaulted', () => {
  const result = catalog.validateCluster({
    version: 1,
    modules: [
      { id: 'demo-multi:a', type: 'demo-multi', schemaVersion: 2 },
      { id: 'demo-multi:b', type: 'demo-multi', schemaVersion: 1, enabled: false, config: { topic: 't' } },
    ],
  });
  assert.ok(result.ok);
  assert.deepEqual((result.value as { modules: unknown }).modules, [
    { id: 'demo-multi:a', type: 'demo-multi', schemaVersion: 2, enabled: true, config: { topic: 'demo/out', qos: 0 } },
    { id: 'demo-multi:b', type: 'demo-multi', schemaVersion: 1, enabled: false, config: { topic: 't' } },
  ]);
});

test('validateModuleRecord accepts a record without id and schemaVersion', () => {
  const ok = catalog.validateModuleRecord({ type: 'demo-multi', config: {} });
  assert.deepEqual(ok, { ok: true, value: { type: 'demo-multi', schemaVersion: 2, enabled: true, config: { topic: 'demo/out', qos: 0 } } });
  const bad = catalog.validateModuleRecord({ type: 'demo-sink', config: { server: 1 }, extra: true });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.problems.map((p) => [p.pointer, p.keyword]), [['/extra', 'additionalProperties'], ['/config/server', 'type']]);
});

test('without defs/ in schemasDir the built-in defs, cluster and node schemas are used', async () => {
  assert.equal((catalog.nodeSchema() as { $id: string }).$id, 'https://modmq.dev/schemas/node/v1.json');
  assert.ok(catalog.schemaFiles().some((f) => f.path === 'defs/duration.json'));
  assert.ok(!catalog.schemaFiles().some((f) => f.path.startsWith('modules/presence/')));
});

test('the bundled schemas load and every module schema compiles', async () => {
  const bundled = await createSchemaCatalog();
  assert.ok(bundled.schemaFiles().length > 0);
  for (const type of bundled.moduleTypes()) {
    const result = bundled.validateModuleConfig(type.type, type.latest, 'not an object');
    assert.equal(result.ok, false, `${type.type} rejects a string`);
  }
});
