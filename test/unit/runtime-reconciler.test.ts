import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModuleType } from '../../src/modules/runtime/module-type.js';
import { startHarness } from '../contract/harness.js';
import { testModuleTypes, testStubTypes } from '../contract/test-modules.js';
import { createStubCatalog } from '../helpers/stub-catalog.js';
import { FakeHookRegistry } from '../helpers/fake-broker.js';

const who = { author: 'test' };

/** Records lifecycle calls in one shared log; create never settles when config.hang is set. */
function recorder(log: string[]): ModuleType<{ hang: boolean; tag: string }> {
  return {
    type: 'test-recorder',
    family: 'extension',
    schemaVersion: 1,
    async create(ctx, config) {
      if (config.hang) return new Promise(() => undefined);
      log.push(`create ${ctx.moduleId} frozen=${Object.isFrozen(config)}`);
      assert.throws(() => {
        (config as { tag: string }).tag = 'changed';
      }, TypeError);
      const dir = await ctx.dataDir();
      log.push(`dir ${dir.endsWith('modules/test-recorder_a') || dir.endsWith('modules/test-recorder_b') ? 'ok' : dir}`);
      return {
        stop: async () => {
          log.push(`stop ${ctx.moduleId}`);
        },
        status: () => (config.tag === 'sick' ? { state: 'degraded', reason: 'sick' } : { state: 'running' }),
      };
    },
  };
}

const stubTypes = [...testStubTypes, { type: 'test-recorder', singleton: false, defaults: { hang: false, tag: '' } }];

async function harness(log: string[] = [], operationTimeoutMs?: number) {
  return startHarness({
    types: [...testModuleTypes, recorder(log)],
    catalog: createStubCatalog(stubTypes),
    ...(operationTimeoutMs !== undefined ? { operationTimeoutMs } : {}),
  });
}

describe('reconciler', () => {
  it('keeps hook chains in document order and applies settings', async () => {
    const h = await harness();
    try {
      const r = await h.service.replaceCluster(
        {
          version: 1,
          settings: { allow_anonymous: false },
          modules: [
            { id: 'test-deny:b', type: 'test-deny', schemaVersion: 1, config: { deny: 'b/' } },
            { id: 'test-deny:a', type: 'test-deny', schemaVersion: 1, config: { deny: '' } },
          ],
        },
        who,
      );
      await h.reconciler.whenApplied(r.revision);
      const registry = h.fake.hooks as FakeHookRegistry;
      assert.deepEqual(registry.orderCalls.at(-1), ['test-deny:b', 'test-deny:a']);
      assert.equal(h.fake.settings.allow_anonymous, false);
      const client = h.fake.connect({ clientId: 'c' });
      assert.deepEqual(await h.fake.authorize(client, 'publish', 'b/x'), { result: 'deny', reason: 'denied by test-deny:b' });
      // Reorder: the other module now answers first.
      const doc = (await h.store.current()).document;
      const swapped = await h.service.replaceCluster({ ...doc, modules: [...doc.modules].reverse() }, who);
      await h.reconciler.whenApplied(swapped.revision);
      assert.deepEqual(registry.orderCalls.at(-1), ['test-deny:a', 'test-deny:b']);
      assert.deepEqual(await h.fake.authorize(client, 'publish', 'b/x'), { result: 'deny', reason: 'denied by test-deny:a' });
      assert.deepEqual(h.reconciler.status().modules.map((m) => m.id), ['test-deny:a', 'test-deny:b']);
    } finally {
      await h.close();
    }
  });

  it('reports a failed create, and retries it on the next revision', async () => {
    const h = await harness();
    try {
      const added = await h.service.add({ type: 'test-prefix', config: { prefix: 'a', failCreate: true } }, who);
      await h.reconciler.whenApplied(added.revision);
      let status = h.statusOf('test-prefix')!;
      assert.equal(status.state, 'failed');
      assert.match(status.error ?? '', /create refused/);
      assert.equal(status.servingRevision, null);
      assert.equal(h.fake.hookCount(), 0, 'the failed instance left no hook');
      const fixed = await h.service.update('test-prefix', { config: { prefix: 'a' } }, who);
      await h.reconciler.whenApplied(fixed.revision);
      status = h.statusOf('test-prefix')!;
      assert.equal(status.state, 'running');
      assert.equal(status.error, undefined);
      assert.equal(h.fake.rewrite(null, 'publish', 't'), 'a/t');
    } finally {
      await h.close();
    }
  });

  it('a failed update keeps the old config; going back to it clears the failure', async () => {
    const h = await harness();
    try {
      const added = await h.service.add({ type: 'test-prefix', config: { prefix: 'a' } }, who);
      const bad = await h.service.update('test-prefix', { config: { prefix: 'b', failUpdate: true } }, who);
      await h.reconciler.whenApplied(bad.revision);
      assert.equal(h.statusOf('test-prefix')!.state, 'failed');
      assert.equal(h.statusOf('test-prefix')!.servingRevision, added.revision);
      assert.equal(h.fake.rewrite(null, 'publish', 't'), 'a/t');
      const back = await h.service.restore(added.revision, who);
      await h.reconciler.whenApplied(back.revision);
      assert.equal(h.statusOf('test-prefix')!.state, 'running');
      assert.equal(h.statusOf('test-prefix')!.servingRevision, back.revision);
    } finally {
      await h.close();
    }
  });

  it('disabled, unavailable (schema only) and degraded states; configs are frozen; per-module data dir', async () => {
    const log: string[] = [];
    const h = await harness(log);
    try {
      await h.service.add({ type: 'test-schema-only' }, who);
      await h.service.add({ type: 'test-recorder', id: 'test-recorder:a', config: { tag: 'sick' } }, who);
      const last = await h.service.add({ type: 'test-recorder', id: 'test-recorder:b', enabled: false }, who);
      await h.reconciler.whenApplied(last.revision);
      const states = h.reconciler.status().modules.map((m) => [m.id, m.state, m.reason ?? '']);
      assert.deepEqual(states, [
        ['test-schema-only', 'unavailable', 'no implementation of module type test-schema-only on this node'],
        ['test-recorder:a', 'degraded', 'sick'],
        ['test-recorder:b', 'disabled', ''],
      ]);
      assert.deepEqual(log, ['create test-recorder:a frozen=true', 'dir ok']);
      const metrics = await h.metrics.getMetricsAsJSON();
      const status = metrics.find((m) => m.name === 'modmq_module_status')!;
      assert.ok(status.values.some((v) => v.labels.module === 'test-recorder:a' && v.labels.state === 'degraded' && v.value === 1));
      const applied = metrics.find((m) => m.name === 'modmq_config_revision_applied')!;
      assert.equal(applied.values[0]!.value, last.revision);
    } finally {
      await h.close();
    }
    assert.deepEqual(log.slice(2), ['stop test-recorder:a']);
  });

  it('a type change under the same id stops the old instance before creating the new one', async () => {
    const log: string[] = [];
    const h = await harness(log);
    try {
      const one = await h.service.replaceCluster(
        { version: 1, settings: {}, modules: [{ id: 'shared:x', type: 'test-recorder', schemaVersion: 1, config: {} }] },
        who,
      );
      await h.reconciler.whenApplied(one.revision);
      const two = await h.service.replaceCluster(
        { version: 1, settings: {}, modules: [{ id: 'shared:x', type: 'test-prefix', schemaVersion: 1, config: { prefix: 'q' } }] },
        who,
      );
      await h.reconciler.whenApplied(two.revision);
      assert.deepEqual(log.filter((l) => !l.startsWith('dir')), ['create shared:x frozen=true', 'stop shared:x']);
      assert.equal(h.statusOf('shared:x')!.type, 'test-prefix');
      assert.equal(h.fake.rewrite(null, 'publish', 't'), 'q/t');
    } finally {
      await h.close();
    }
  });

  it('a create that never settles times out as failed and does not block other modules', async () => {
    const h = await harness([], 30);
    try {
      await h.service.add({ type: 'test-recorder', id: 'test-recorder:hang', config: { hang: true } }, who);
      const next = await h.service.add({ type: 'test-prefix' }, who);
      await h.reconciler.whenApplied(next.revision);
      assert.equal(h.statusOf('test-recorder:hang')!.state, 'failed');
      assert.match(h.statusOf('test-recorder:hang')!.error ?? '', /did not finish within 30 ms/);
      assert.equal(h.statusOf('test-prefix')!.state, 'running');
    } finally {
      await h.close();
    }
  });

  it('coalesces a burst of revisions and ends on the latest', async () => {
    const h = await harness();
    try {
      let last = 0;
      for (let i = 0; i < 10; i++) {
        last = (await h.service.add({ type: 'test-deny' }, who)).revision;
      }
      const removed = await h.service.remove('test-deny:3', who);
      await h.reconciler.whenApplied(removed.revision);
      assert.ok(removed.revision > last);
      assert.equal(h.reconciler.status().appliedRevision, removed.revision);
      assert.equal(h.reconciler.status().modules.length, 9);
      assert.equal(h.fake.hookCount(), 9);
    } finally {
      await h.close();
    }
  });

  it('stop() stops every instance, last module first, and removes every hook', async () => {
    const log: string[] = [];
    const h = await harness(log);
    await h.service.add({ type: 'test-recorder', id: 'test-recorder:a' }, who);
    await h.service.add({ type: 'test-prefix' }, who);
    const last = await h.service.add({ type: 'test-recorder', id: 'test-recorder:b' }, who);
    await h.reconciler.whenApplied(last.revision);
    await h.close();
    assert.deepEqual(log.filter((l) => l.startsWith('stop')), ['stop test-recorder:b', 'stop test-recorder:a']);
    assert.equal(h.fake.hookCount(), 0);
  });
});

describe('reconciler and cached ACL answers', () => {
  /** An auth module updated in place: its hooks stay, only its answers change. */
  const tunable: ModuleType<{ deny: string }> = {
    type: 'test-tunable',
    family: 'auth',
    schemaVersion: 1,
    async create(ctx, config) {
      let current = config;
      ctx.hooks.authorize((_c, _a, topic) => (topic.startsWith(current.deny) ? { result: 'deny' } : { result: 'ignore' }));
      return {
        update: async (next) => {
          current = next;
        },
        stop: async () => undefined,
        status: () => ({ state: 'running' }),
      };
    },
  };

  it('flushes the broker ACL cache after an in-place update of an auth module', async () => {
    const h = await startHarness({
      types: [...testModuleTypes, tunable],
      catalog: createStubCatalog([...testStubTypes, { type: 'test-tunable', defaults: { deny: 'a/' } }]),
    });
    try {
      const added = await h.service.add({ type: 'test-tunable', config: { deny: 'a/' } }, who);
      await h.reconciler.whenApplied(added.revision);
      const before = h.fake.aclFlushes;
      const updated = await h.service.update('test-tunable', { config: { deny: 'b/' } }, who);
      await h.reconciler.whenApplied(updated.revision);
      assert.equal(h.fake.aclFlushes, before + 1);
      const client = h.fake.connect({ clientId: 'c1' });
      assert.deepEqual(await h.fake.authorize(client, 'publish', 'b/x'), { result: 'deny' });
    } finally {
      await h.close();
    }
  });
});
