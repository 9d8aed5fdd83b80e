import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModmqError } from '../../src/errors.js';
import { createModuleService } from '../../src/modules/runtime/module-service-impl.js';
import { ModuleRegistry } from '../../src/modules/runtime/registry.js';
import { buildModuleRegistry } from '../../src/modules/index.js';
import { emptyDocument } from '../../src/store/cluster-document.js';
import { openMemoryStore } from '../../src/store/sqlite-store.js';
import { testModuleTypes, testStubTypes } from '../contract/test-modules.js';
import { createStubCatalog } from '../helpers/stub-catalog.js';

const catalog = createStubCatalog(testStubTypes);
const who = { author: 'admin' };

function setup() {
  const store = openMemoryStore();
  const service = createModuleService({ store, catalog, registry: new ModuleRegistry(testModuleTypes) });
  return { store, service };
}

function isError(code: string, status: number, check?: (e: ModmqError) => void) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ModmqError, String(err));
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    check?.(err);
    return true;
  };
}

describe('module registry', () => {
  it('looks types up and refuses a duplicate type', () => {
    const registry = new ModuleRegistry(testModuleTypes);
    assert.equal(registry.get('test-prefix'), testModuleTypes[0]);
    assert.equal(registry.get('nope'), undefined);
    assert.throws(() => new ModuleRegistry([...testModuleTypes, testModuleTypes[0]!]), isError('MODMQ_INTERNAL', 500));
    assert.deepEqual(buildModuleRegistry(testModuleTypes).types().slice(-3), testModuleTypes);
  });
});

describe('module service', () => {
  it('adds with defaults applied, ids by type (singleton) or <type>:<n>', async () => {
    const { store, service } = setup();
    const a = await service.add({ type: 'test-prefix', config: { prefix: 'x' } }, who);
    assert.equal(a.revision, 1);
    assert.deepEqual(a.value, {
      id: 'test-prefix',
      type: 'test-prefix',
      schemaVersion: 1,
      enabled: true,
      config: { prefix: 'x', failCreate: false, failUpdate: false },
    });
    const d1 = await service.add({ type: 'test-deny' }, who);
    const d2 = await service.add({ type: 'test-deny', description: 'second' }, who);
    assert.deepEqual([d1.value.id, d2.value.id], ['test-deny:1', 'test-deny:2']);
    assert.equal(d2.value.description, 'second');
    await service.remove('test-deny:1', who);
    assert.equal((await service.add({ type: 'test-deny' }, who)).value.id, 'test-deny:1', 'first free n');
    const named = await service.add({ type: 'test-deny', id: 'test-deny:eu' }, who);
    assert.equal(named.value.id, 'test-deny:eu');
    assert.deepEqual((await service.list()).value.map((m) => m.id), ['test-prefix', 'test-deny:2', 'test-deny:1', 'test-deny:eu']);
    assert.deepEqual((await service.history(2)).map((h) => h.summary), ['add module test-deny:eu', 'add module test-deny:1']);
    await store.close();
  });

  it('rejects unknown types, invalid configs (schema and check) and duplicates', async () => {
    const { store, service } = setup();
    await assert.rejects(service.add({ type: 'nope' }, who), isError('MODMQ_UNKNOWN_MODULE_TYPE', 400, (e) => assert.equal(e.problems[0]?.pointer, '/type')));
    await assert.rejects(
      service.add({ type: 'test-prefix', config: { prefix: '' } }, who),
      isError('MODMQ_INVALID_CONFIG', 400, (e) => assert.deepEqual(e.problems.map((p) => p.pointer), ['/config/prefix'])),
    );
    await assert.rejects(
      service.add({ type: 'test-prefix', config: { prefix: 'a#' } }, who),
      isError('MODMQ_INVALID_CONFIG', 400, (e) => assert.deepEqual(e.problems.map((p) => [p.pointer, p.keyword]), [['/config/prefix', 'topic']])),
    );
    await service.add({ type: 'test-prefix' }, who);
    await assert.rejects(service.add({ type: 'test-prefix', id: 'test-prefix:2' }, who), isError('MODMQ_MODULE_EXISTS', 409));
    await assert.rejects(service.add({ type: 'test-prefix' }, who), isError('MODMQ_MODULE_EXISTS', 409));
    await service.add({ type: 'test-deny', id: 'test-deny:x' }, who);
    await assert.rejects(service.add({ type: 'test-deny', id: 'test-deny:x' }, who), isError('MODMQ_MODULE_EXISTS', 409));
    await assert.rejects(service.add({ type: 'test-deny', id: 'Bad Id' }, who), isError('MODMQ_INVALID_CONFIG', 400));
    assert.equal((await store.current()).revision, 2, 'rejected changes stored nothing');
    await store.close();
  });

  it('schema-only types can be added (no implementation needed)', async () => {
    const { store, service } = setup();
    const r = await service.add({ type: 'test-schema-only' }, who);
    assert.equal(r.value.id, 'test-schema-only');
    await store.close();
  });

  it('updates (PUT semantics), enables/disables, removes; 404 for unknown ids', async () => {
    const { store, service } = setup();
    await service.add({ type: 'test-prefix', config: { prefix: 'a', failUpdate: true } }, who);
    const u = await service.update('test-prefix', { config: { prefix: 'b' }, description: 'd' }, who);
    assert.deepEqual(u.value.config, { prefix: 'b', failCreate: false, failUpdate: false }, 'config replaced whole');
    assert.equal(u.value.description, 'd');
    assert.equal((await service.setEnabled('test-prefix', false, who)).value.enabled, false);
    assert.equal((await service.get('test-prefix')).value.enabled, false);
    await service.remove('test-prefix', who);
    assert.deepEqual((await service.history()).map((h) => h.summary), [
      'remove module test-prefix',
      'disable module test-prefix',
      'update module test-prefix',
      'add module test-prefix',
    ]);
    const notFound = isError('MODMQ_MODULE_NOT_FOUND', 404);
    await assert.rejects(service.get('test-prefix'), notFound);
    await assert.rejects(service.update('test-prefix', {}, who), notFound);
    await assert.rejects(service.setEnabled('test-prefix', true, who), notFound);
    await assert.rejects(service.remove('test-prefix', who), notFound);
    await store.close();
  });

  it('409 for a stale expectedRevision; without one, concurrent writes both land', async () => {
    const { store, service } = setup();
    await service.add({ type: 'test-deny' }, { author: 'a', expectedRevision: 0 });
    await assert.rejects(
      service.add({ type: 'test-deny' }, { author: 'b', expectedRevision: 0 }),
      isError('MODMQ_REVISION_CONFLICT', 409, (e) => assert.equal(e.details.currentRevision, 1)),
    );
    await Promise.all([service.add({ type: 'test-deny' }, who), service.add({ type: 'test-deny' }, who), service.add({ type: 'test-prefix' }, who)]);
    assert.deepEqual((await service.list()).value.map((m) => m.id).sort(), ['test-deny:1', 'test-deny:2', 'test-deny:3', 'test-prefix']);
    assert.equal((await store.current()).revision, 4);
    await store.close();
  });

  it('replaceCluster validates the whole document and stores it with defaults', async () => {
    const { store, service } = setup();
    const doc = {
      version: 1,
      settings: { allow_anonymous: false },
      modules: [
        { id: 'test-deny:1', type: 'test-deny', schemaVersion: 1, config: {} },
        { id: 'test-prefix', type: 'test-prefix', schemaVersion: 1, enabled: false, config: { prefix: 'z' } },
      ],
    };
    const r = await service.replaceCluster(doc, who);
    assert.equal(r.value.settings.allow_anonymous, false);
    assert.equal(r.value.settings.acl_nomatch, 'allow');
    assert.deepEqual(r.value.modules[0]!.config, { deny: 'secret/', failCreate: false });
    assert.equal((await service.history(1))[0]!.summary, 'replace cluster document');
    const bad: { modules: unknown[] } = structuredClone(doc);
    bad.modules.push({ id: 'test-prefix:2', type: 'test-prefix', schemaVersion: 1, config: { prefix: 'a#' } });
    await assert.rejects(
      service.replaceCluster(bad, who),
      isError('MODMQ_INVALID_CONFIG', 400, (e) => {
        const pointers = e.problems.map((p) => `${p.pointer} ${p.keyword}`);
        assert.ok(pointers.includes('/modules/2/type singleton'), pointers.join(' | '));
        assert.ok(pointers.includes('/modules/2/config/prefix topic'), pointers.join());
      }),
    );
    assert.equal((await store.current()).revision, 1);
    await store.close();
  });

  it('restore(r) brings back revision r as a new revision', async () => {
    const { store, service } = setup();
    await service.add({ type: 'test-prefix', config: { prefix: 'one' } }, who);
    await service.update('test-prefix', { config: { prefix: 'two' } }, who);
    await service.remove('test-prefix', who);
    const r = await service.restore(1, who);
    assert.equal(r.revision, 4);
    assert.deepEqual(r.value, (await store.get(1))!.document);
    assert.equal((await service.history(1))[0]!.summary, 'restore revision 1');
    const empty = await service.restore(0, who);
    assert.deepEqual(empty.value, emptyDocument());
    await assert.rejects(service.restore(99, who), isError('MODMQ_REVISION_NOT_FOUND', 404));
    await store.close();
  });
});
