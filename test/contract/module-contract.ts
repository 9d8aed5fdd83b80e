/**
 * The contract every module type passes. Call it from `test/contract/<type>.contract.test.ts`:
 *
 *   runModuleContract({ type: presence, validConfig: {...}, updatedConfig: {...}, invalidConfig: {...} });
 *
 * It drives the REAL module service + reconciler + memory store (and by default the real schema
 * catalog) on the fake broker, and checks: create -> running; hot update -> running with the new
 * config (probe); invalid config -> 400 with problems and the same instance still serving;
 * disable -> stopped with hooks removed, enable -> running; remove -> every hook and handle freed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ModmqError } from '../../src/errors.js';
import { redisClusterContext, type ClusterContext } from '../../src/cluster/cluster-context.js';
import type { ModuleType } from '../../src/modules/runtime/module-type.js';
import type { SchemaCatalog } from '../../src/schema/catalog.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';
import { startHarness, type Harness } from './harness.js';

type Config = Record<string, unknown>;
/** A config, or a function making one (e.g. with a free port found at run time). */
type ConfigSource = Config | (() => Config | Promise<Config>);

export interface ModuleContractSpec {
  type: ModuleType;
  validConfig: ConfigSource;
  /** A different valid config; applied as a hot update (update() or a replace). */
  updatedConfig: ConfigSource;
  /** Rejected by the schema or by check(). */
  invalidConfig: ConfigSource;
  /** A valid config whose create() fails: the previous instance must keep serving. */
  failingConfig?: ConfigSource;
  /** The catalog to validate with; default: the real one from src/schema/index.ts. */
  catalog?: SchemaCatalog | (() => Promise<SchemaCatalog>);
  /** Other types in the registry (e.g. a dependency). */
  extraTypes?: ModuleType[];
  /** Asserts that `config` is in force (e.g. publishes through the fake and checks the result). */
  probe?: (h: Harness, moduleId: string, config: Config) => void | Promise<void>;
  /** Runs before each test (start a fake server…); the returned function runs after it. */
  makeContext?: () => Promise<(() => Promise<void>) | void>;
  /** Runs the node as a cluster member: modules get `ctx.cluster` (e.g. on a test redis-server). */
  cluster?: () => ClusterContext;
  /** Suffix of the suite's name (e.g. ' on redis' when the same type runs twice). */
  label?: string;
  /** Resource kinds to ignore in the leak check (e.g. 'FSReqCallback' of a logger). */
  ignoreResources?: string[];
}

async function resolveConfig(source: ConfigSource): Promise<Config> {
  return typeof source === 'function' ? await source() : structuredClone(source);
}

async function resolveCatalog(spec: ModuleContractSpec): Promise<SchemaCatalog> {
  if (typeof spec.catalog === 'function') return spec.catalog();
  if (spec.catalog) return spec.catalog;
  // Imported lazily: the suite must load even where the schema layer is not in place yet.
  const path = '../../src/schema/index.js';
  const mod = (await import(path)) as { createSchemaCatalog: () => Promise<SchemaCatalog> };
  return mod.createSchemaCatalog();
}

/** Ref'd handles that matter for leaks, as a sorted list. */
function resources(ignore: readonly string[]): string[] {
  const transient = new Set(['FSReqCallback', 'FSReqPromise', 'PromiseResolve', 'TTYWrap', ...ignore]);
  return process
    .getActiveResourcesInfo()
    .filter((r) => !transient.has(r))
    .sort();
}

/**
 * libuv releases a closed handle some loop turns after its close callback, and a socket being
 * destroyed needs its I/O phase: wait for the expected set (up to ~3 s on a loaded machine; a
 * bounded wait for a state, not a timing assertion) before comparing.
 */
async function settledResources(expected: readonly string[], ignore: readonly string[]): Promise<string[]> {
  let now = resources(ignore);
  for (let turn = 0; turn < 300 && JSON.stringify(now) !== JSON.stringify(expected); turn++) {
    await new Promise((resolve) => setTimeout(resolve, turn < 20 ? 0 : 10));
    now = resources(ignore);
  }
  return now;
}

const RUNNING = ['running', 'degraded'];

export function runModuleContract(spec: ModuleContractSpec): void {
  const type = spec.type.type;

  /** One fresh runtime per test; the module is added with `config` and applied. */
  async function withModule(config: ConfigSource, body: (h: Harness, id: string, revision: number) => Promise<void>): Promise<void> {
    const teardown = await spec.makeContext?.();
    const h = await startHarness({ types: [spec.type, ...(spec.extraTypes ?? [])], catalog: await resolveCatalog(spec), ...(spec.cluster ? { cluster: spec.cluster() } : {}) });
    try {
      const added = await h.service.add({ type, config: await resolveConfig(config) }, { author: 'contract' });
      await h.reconciler.whenApplied(added.revision);
      await body(h, added.value.id, added.revision);
    } finally {
      await h.close();
      if (typeof teardown === 'function') await teardown();
    }
  }

  describe(`module contract: ${type}${spec.label ?? ''}`, () => {
    it('create: the module runs with the valid config', async () => {
      await withModule(spec.validConfig, async (h, id, revision) => {
        const status = h.statusOf(id);
        assert.ok(status, 'module has a status');
        assert.ok(RUNNING.includes(status.state), `state ${status.state} (${status.error ?? ''})`);
        assert.equal(status.servingRevision, revision);
        assert.ok(h.reconciler.instance(id), 'an instance serves');
        if (spec.probe) await spec.probe(h, id, (await h.service.get(id)).value.config);
      });
    });

    it('hot update: still running, new config in force', async () => {
      await withModule(spec.validConfig, async (h, id) => {
        const updated = await h.service.update(id, { config: await resolveConfig(spec.updatedConfig) }, { author: 'contract' });
        await h.reconciler.whenApplied(updated.revision);
        const status = h.statusOf(id);
        assert.ok(status && RUNNING.includes(status.state), `state ${status?.state} (${status?.error ?? ''})`);
        assert.equal(status.servingRevision, updated.revision);
        if (spec.probe) await spec.probe(h, id, updated.value.config);
      });
    });

    it('invalid config: rejected with 400 problems, the same instance keeps serving', async () => {
      await withModule(spec.validConfig, async (h, id, revision) => {
        const before = h.reconciler.instance(id);
        const invalid = await resolveConfig(spec.invalidConfig);
        await assert.rejects(
          h.service.update(id, { config: invalid }, { author: 'contract' }),
          (err: unknown) => {
            assert.ok(err instanceof ModmqError, 'a ModmqError');
            assert.equal(err.status, 400);
            assert.ok(err.problems.length > 0, 'with problems');
            return true;
          },
        );
        assert.equal((await h.store.current()).revision, revision, 'nothing stored');
        assert.equal(h.reconciler.instance(id), before, 'same instance object');
        assert.ok(RUNNING.includes(h.statusOf(id)!.state));
      });
    });

    it('disable stops the module and removes its hooks; enable runs it again', async () => {
      await withModule(spec.validConfig, async (h, id) => {
        const off = await h.service.setEnabled(id, false, { author: 'contract' });
        await h.reconciler.whenApplied(off.revision);
        assert.equal(h.statusOf(id)?.state, 'disabled');
        assert.equal(h.reconciler.instance(id), undefined);
        assert.equal(h.fake.hookCount(), 0, 'every hook removed');
        const on = await h.service.setEnabled(id, true, { author: 'contract' });
        await h.reconciler.whenApplied(on.revision);
        assert.ok(RUNNING.includes(h.statusOf(id)!.state));
        assert.ok(h.reconciler.instance(id));
      });
    });

    it('remove stops the module: no hook and no handle left', async () => {
      const teardown = await spec.makeContext?.();
      const h = await startHarness({ types: [spec.type, ...(spec.extraTypes ?? [])], catalog: await resolveCatalog(spec), ...(spec.cluster ? { cluster: spec.cluster() } : {}) });
      try {
        const before = resources(spec.ignoreResources ?? []);
        const added = await h.service.add({ type, config: await resolveConfig(spec.validConfig) }, { author: 'contract' });
        await h.reconciler.whenApplied(added.revision);
        assert.ok(h.reconciler.instance(added.value.id));
        const removed = await h.service.remove(added.value.id, { author: 'contract' });
        await h.reconciler.whenApplied(removed.revision);
        assert.equal(h.statusOf(added.value.id), undefined);
        assert.equal(h.fake.hookCount(), 0, 'every hook removed');
        assert.deepEqual(await settledResources(before, spec.ignoreResources ?? []), before, 'ports, sockets and timers freed');
      } finally {
        await h.close();
        if (typeof teardown === 'function') await teardown();
      }
    });

    if (spec.failingConfig) {
      const failing = spec.failingConfig;
      it('failed change: module reported failed, the previous instance keeps serving', async () => {
        await withModule(spec.validConfig, async (h, id, revision) => {
          const before = h.reconciler.instance(id);
          const changed = await h.service.update(id, { config: await resolveConfig(failing) }, { author: 'contract' });
          await h.reconciler.whenApplied(changed.revision);
          const status = h.statusOf(id)!;
          assert.equal(status.state, 'failed');
          assert.ok(status.error, 'error message');
          assert.equal(status.servingRevision, revision, 'still serving the previous revision');
          assert.ok(h.reconciler.instance(id), 'an instance still serves');
          if (spec.type.replace !== 'stop-first') assert.equal(h.reconciler.instance(id), before);
          if (spec.probe) await spec.probe(h, id, (await h.store.get(revision))!.document.modules.find((m) => m.id === id)!.config);
        });
      });
    }
  });
}

/**
 * The same contract in cluster mode: the module keeps its shared state on a real redis-server
 * (started once for the file), each run under a cluster name of its own.
 */
export function runModuleContractOnRedis(spec: ModuleContractSpec): void {
  let redis: RedisServer | undefined;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => redis?.stop());
  runModuleContract({ ...spec, label: ' on redis', cluster: () => redisClusterContext(redis!.url, randomUUID().slice(0, 8)) });
}
