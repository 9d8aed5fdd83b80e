import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ModmqError } from '../../src/errors.js';
import { createModuleService } from '../../src/modules/runtime/module-service-impl.js';
import { ModuleRegistry } from '../../src/modules/runtime/registry.js';
import { openMemoryStore } from '../../src/store/sqlite-store.js';
import { testModuleTypes, testStubTypes } from '../contract/test-modules.js';
import { createStubCatalog } from '../helpers/stub-catalog.js';

const catalog = createStubCatalog(testStubTypes);
const who = { author: 'prop' };

type Op =
  | { kind: 'add'; type: string; id: string | undefined; prefix: string }
  | { kind: 'update'; pick: number; prefix: string }
  | { kind: 'toggle'; pick: number }
  | { kind: 'remove'; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('add' as const),
    type: fc.constantFrom('test-prefix', 'test-deny', 'test-listener', 'test-schema-only'),
    id: fc.option(fc.constantFrom('test-deny:a', 'test-deny:b', 'test-prefix'), { nil: undefined }),
    prefix: fc.stringMatching(/^[a-z#]{0,3}$/),
  }),
  fc.record({ kind: fc.constant('update' as const), pick: fc.nat(), prefix: fc.stringMatching(/^[a-z#]{0,3}$/) }),
  fc.record({ kind: fc.constant('toggle' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
);

function configFor(type: string, prefix: string): Record<string, unknown> {
  if (type === 'test-prefix') return { prefix };
  if (type === 'test-deny') return { deny: prefix };
  if (type === 'test-listener') return { port: prefix.length };
  return {};
}

describe('module service over the sqlite store (property)', () => {
  it('ids stay unique, revisions strictly increase, restore(r) yields exactly revision r', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), fc.nat(), async (ops, restorePick) => {
        const store = openMemoryStore();
        const service = createModuleService({ store, catalog, registry: new ModuleRegistry(testModuleTypes) });
        try {
          let lastRevision = 0;
          const revisions: number[] = [0];
          for (const o of ops) {
            const modules = (await service.list()).value;
            const target = modules.length > 0 ? modules[('pick' in o ? o.pick : 0) % modules.length] : undefined;
            try {
              let revision: number;
              if (o.kind === 'add') {
                revision = (await service.add({ type: o.type, config: configFor(o.type, o.prefix), ...(o.id ? { id: o.id } : {}) }, who)).revision;
              } else if (!target) {
                continue;
              } else if (o.kind === 'update') {
                revision = (await service.update(target.id, { config: configFor(target.type, o.prefix) }, who)).revision;
              } else if (o.kind === 'toggle') {
                revision = (await service.setEnabled(target.id, !target.enabled, who)).revision;
              } else {
                revision = (await service.remove(target.id, who)).revision;
              }
              assert.ok(revision > lastRevision, 'revision strictly increases');
              lastRevision = revision;
              revisions.push(revision);
            } catch (err) {
              // Rejections are coded errors and store nothing.
              assert.ok(err instanceof ModmqError, String(err));
              assert.ok([400, 409].includes(err.status), `${err.code} ${err.status}`);
              assert.equal((await store.current()).revision, lastRevision);
            }
            const ids = (await service.list()).value.map((m) => m.id);
            assert.equal(new Set(ids).size, ids.length, 'ids unique');
          }
          const history = await service.history(1000);
          assert.deepEqual(history.map((h) => h.revision), [...revisions].slice(1).reverse(), 'history newest first');
          const r = revisions[restorePick % revisions.length]!;
          const expected = (await store.get(r))!.document;
          const restored = await service.restore(r, who);
          assert.deepEqual(restored.value, expected);
          assert.deepEqual((await store.current()).document, expected);
          assert.equal(restored.revision, lastRevision + 1);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
