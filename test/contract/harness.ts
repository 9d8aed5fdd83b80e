/**
 * The real runtime on a fake broker: memory store + module service + reconciler, for the
 * contract suite and the runtime tests. Everything is closed by `close()`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { SchemaCatalog } from '../../src/schema/catalog.js';
import type { ClusterContext } from '../../src/cluster/cluster-context.js';
import type { ModuleService } from '../../src/modules/runtime/module-service.js';
import { createModuleService } from '../../src/modules/runtime/module-service-impl.js';
import type { ModuleStatus } from '../../src/modules/runtime/module-status.js';
import type { ModuleType } from '../../src/modules/runtime/module-type.js';
import { Reconciler } from '../../src/modules/runtime/reconciler.js';
import { ModuleRegistry } from '../../src/modules/runtime/registry.js';
import { openMemoryStore, type SqliteConfigStore } from '../../src/store/sqlite-store.js';
import { createFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';

export interface Harness {
  fake: FakeBroker;
  store: SqliteConfigStore;
  service: ModuleService;
  reconciler: Reconciler;
  registry: ModuleRegistry;
  metrics: Registry;
  dataDir: string;
  /** The module's status on this node, or undefined when it is not in the document. */
  statusOf(id: string): ModuleStatus | undefined;
  /** Waits until the reconciler applied the store's current revision. */
  settle(): Promise<number>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  types: ModuleType[];
  catalog: SchemaCatalog;
  operationTimeoutMs?: number;
  nodeName?: string;
  /** Modules see a cluster (shared state on Redis). */
  cluster?: ClusterContext;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'modmq-runtime-'));
  const fake = createFakeBroker(options.nodeName);
  const store = openMemoryStore();
  const registry = new ModuleRegistry(options.types);
  const metrics = new Registry();
  const service = createModuleService({ store, catalog: options.catalog, registry });
  const reconciler = new Reconciler({
    store,
    catalog: options.catalog,
    registry,
    hooks: fake.hooks,
    broker: fake.api,
    setSettings: (s) => fake.setSettings(s),
    node: { name: fake.api.nodeName, dataDir },
    log: pino({ level: 'silent' }),
    metrics,
    ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
    ...(options.operationTimeoutMs !== undefined ? { operationTimeoutMs: options.operationTimeoutMs } : {}),
  });
  await reconciler.start();
  return {
    fake,
    store,
    service,
    reconciler,
    registry,
    metrics,
    dataDir,
    statusOf: (id) => reconciler.status().modules.find((m) => m.id === id),
    async settle() {
      const { revision } = await store.current();
      await reconciler.whenApplied(revision);
      return revision;
    },
    async close() {
      await reconciler.stop();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
