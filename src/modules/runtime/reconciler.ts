import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { BrokerApi } from '../../broker/broker-api.js';
import type { HookRegistry, HookScope } from '../../broker/hooks.js';
import type { SchemaCatalog } from '../../schema/catalog.js';
import type { ClusterSettings, ModuleRecord } from '../../store/cluster-document.js';
import type { ConfigStore, Revision } from '../../store/config-store.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { deepEqual, frozenCopy } from './deep.js';
import { createModuleContext } from './module-context.js';
import { ModuleServices } from './module-services.js';
import type { ModuleState, ModuleStatus, NodeModuleStatus } from './module-status.js';
import type { ModuleInstance, ModuleType } from './module-type.js';
import type { ModuleRegistry } from './registry.js';
import { withTimeout } from './timeout.js';

export interface ReconcilerDeps {
  store: ConfigStore;
  catalog: SchemaCatalog;
  registry: ModuleRegistry;
  hooks: HookRegistry;
  broker: BrokerApi;
  setSettings: (s: ClusterSettings) => void;
  node: { name: string; dataDir: string };
  /** The cluster, when the node runs on Redis (modules with shared state use it). */
  cluster?: ClusterContext;
  log: Logger;
  metrics: Registry;
  /** Where instances expose services (the API reads them). Default: a registry of its own. */
  services?: ModuleServices;
  /** Told when a module's state changes or a revision is applied (the cluster view publishes it). */
  onStatusChange?: () => void;
  /** Per create/update/stop call. Default 30 s. */
  operationTimeoutMs?: number;
}

/** One running instance with the hook scope it registered through and the config it runs. */
interface Running {
  impl: ModuleType;
  instance: ModuleInstance;
  scope: HookScope;
  config: unknown;
}

/** What this node knows about one module id. */
interface Slot {
  id: string;
  type: string;
  running: Running | undefined;
  state: ModuleState;
  servingRevision: number | null;
  reason?: string;
  error?: string;
  since: string;
}

/**
 * Makes this node run what the cluster document says: one apply at a time, always towards the
 * latest revision (intermediate ones are skipped). A failure never throws out of the loop: it
 * marks the module failed and leaves whatever served before serving.
 */
export class Reconciler {
  private readonly slots = new Map<string, Slot>();
  private applied = -1;
  private loop: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  private unwatch: (() => void) | undefined;
  private waiters: Array<{ revision: number; resolve: () => void }> = [];
  private readonly timeoutMs: number;
  /** Services exposed by running instances. */
  readonly services: ModuleServices;

  constructor(private readonly deps: ReconcilerDeps) {
    this.timeoutMs = deps.operationTimeoutMs ?? 30_000;
    this.services = deps.services ?? new ModuleServices();
    this.registerMetrics();
  }

  /** Applies the current revision, then follows the store. */
  async start(): Promise<void> {
    this.stopped = false;
    this.unwatch = this.deps.store.watch(() => this.kick());
    this.kick();
    await this.loop;
  }

  /** Resolves once `revision` (or a later one) has been applied. */
  whenApplied(revision: number): Promise<void> {
    if (this.applied >= revision) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ revision, resolve }));
  }

  status(): NodeModuleStatus {
    return {
      node: this.deps.node.name,
      appliedRevision: Math.max(0, this.applied),
      modules: [...this.slots.values()].map((s) => this.slotStatus(s)),
    };
  }

  /** The instance currently serving a module id (tests, diagnostics). */
  instance(id: string): ModuleInstance | undefined {
    return this.slots.get(id)?.running?.instance;
  }

  /** Stops following the store and stops every instance, last module first. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    this.unwatch = undefined;
    await this.loop;
    for (const slot of [...this.slots.values()].reverse()) {
      await this.stopRunning(slot);
      this.setState(slot, 'disabled');
    }
    this.slots.clear();
    for (const name of METRIC_NAMES) this.deps.metrics.removeSingleMetric(name);
  }

  private kick(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (!this.loop) this.loop = this.run();
  }

  /** Coalesces: any number of notifications during an apply cause one more pass on the latest. */
  private async run(): Promise<void> {
    // Start on a fresh tick so `this.loop` is assigned before anything here can finish.
    await Promise.resolve();
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        try {
          const rev = await this.deps.store.current();
          if (rev.revision !== this.applied) await this.apply(rev);
        } catch (err) {
          this.deps.log.error({ err }, 'applying the cluster document failed');
        }
      }
    } finally {
      // Cleared in the same tick as the last `dirty` check: a kick can never fall in between.
      this.loop = undefined;
    }
  }

  private async apply(rev: Revision): Promise<void> {
    const { modules, settings } = rev.document;
    const log = this.deps.log;
    log.info({ revision: rev.revision }, 'applying cluster document');
    const wanted = new Set(modules.map((m) => m.id));
    // Removed modules first (last first), so the ports they hold are free for new ones.
    for (const slot of [...this.slots.values()].reverse()) {
      if (this.stopped) return;
      if (wanted.has(slot.id)) continue;
      await this.stopRunning(slot);
      this.slots.delete(slot.id);
    }
    this.deps.hooks.setOrder(modules.map((m) => m.id));
    for (const record of modules) {
      if (this.stopped) return;
      try {
        await this.applyRecord(record, rev.revision);
      } catch (err) {
        log.error({ err, module: record.id }, 'module apply failed');
      }
    }
    // Keep slots in document order (status() and stop() rely on it).
    const ordered = modules.map((m) => this.slots.get(m.id)).filter((s): s is Slot => s !== undefined);
    this.slots.clear();
    for (const s of ordered) this.slots.set(s.id, s);
    try {
      this.deps.setSettings(structuredClone(settings));
    } catch (err) {
      log.error({ err }, 'applying cluster settings failed');
    }
    this.applied = rev.revision;
    this.deps.log.info({ revision: rev.revision }, 'cluster document applied');
    this.deps.onStatusChange?.();
    const ready = this.waiters.filter((w) => w.revision <= rev.revision);
    this.waiters = this.waiters.filter((w) => w.revision > rev.revision);
    for (const w of ready) w.resolve();
  }

  private async applyRecord(record: ModuleRecord, revision: number): Promise<void> {
    let slot = this.slots.get(record.id);
    if (slot && slot.type !== record.type) {
      await this.stopRunning(slot);
      this.slots.delete(record.id);
      slot = undefined;
    }
    if (!slot) {
      slot = { id: record.id, type: record.type, running: undefined, state: 'starting', servingRevision: null, since: now() };
      this.slots.set(record.id, slot);
    }
    if (!record.enabled) {
      await this.stopRunning(slot);
      this.setState(slot, 'disabled');
      return;
    }
    const impl = this.deps.registry.get(record.type);
    if (!impl || impl.schemaVersion !== record.schemaVersion) {
      await this.stopRunning(slot);
      const reason = impl
        ? `this node runs schema version ${impl.schemaVersion} of ${record.type}, the document has ${record.schemaVersion}`
        : `no implementation of module type ${record.type} on this node`;
      this.setState(slot, 'unavailable', { reason });
      return;
    }
    const config = frozenCopy(record.config);
    const running = slot.running;
    if (!running) return this.createInto(slot, impl, config, revision);
    if (deepEqual(running.config, config)) {
      // Unchanged (or back to what still serves after a failed change).
      slot.servingRevision = revision;
      if (slot.state !== 'running') this.setState(slot, 'running');
      return;
    }
    if (running.instance.update) return this.updateInPlace(slot, running, config, revision);
    if (impl.replace === 'stop-first') return this.replaceStopFirst(slot, impl, config, revision);
    return this.replaceCreateFirst(slot, impl, config, revision);
  }

  private async createInto(slot: Slot, impl: ModuleType, config: unknown, revision: number): Promise<void> {
    this.setState(slot, 'starting');
    try {
      slot.running = await this.create(slot.id, impl, config);
      slot.servingRevision = revision;
      this.setState(slot, 'running');
    } catch (err) {
      slot.servingRevision = null;
      this.fail(slot, err, 'create');
    }
  }

  private async updateInPlace(slot: Slot, running: Running, config: unknown, revision: number): Promise<void> {
    try {
      await withTimeout(running.instance.update!(config), this.timeoutMs, `update of ${slot.id}`);
      running.config = config;
      slot.servingRevision = revision;
      // An auth module's answers may change with its config while its hooks stay the same.
      if (running.impl.family === 'auth') this.deps.broker.flushAclCache();
      this.setState(slot, 'running');
    } catch (err) {
      // update is atomic: the instance still serves servingRevision's config.
      this.fail(slot, err, 'update');
    }
  }

  private async replaceCreateFirst(slot: Slot, impl: ModuleType, config: unknown, revision: number): Promise<void> {
    let next: Running;
    try {
      next = await this.create(slot.id, impl, config);
    } catch (err) {
      this.fail(slot, err, 'create');
      return;
    }
    await this.stopRunning(slot);
    slot.running = next;
    slot.servingRevision = revision;
    this.setState(slot, 'running');
  }

  private async replaceStopFirst(slot: Slot, impl: ModuleType, config: unknown, revision: number): Promise<void> {
    const old = slot.running!;
    const oldRevision = slot.servingRevision;
    await this.stopRunning(slot);
    try {
      slot.running = await this.create(slot.id, impl, config);
      slot.servingRevision = revision;
      this.setState(slot, 'running');
      return;
    } catch (err) {
      this.fail(slot, err, 'create');
    }
    // Bring the old config back so the module keeps serving.
    try {
      slot.running = await this.create(slot.id, old.impl, old.config);
      slot.servingRevision = oldRevision;
    } catch (err) {
      slot.servingRevision = null;
      this.deps.log.error({ err, module: slot.id }, 'restoring the previous instance failed');
    }
  }

  /** Creates an instance with its own hook scope; on failure the scope is disposed. */
  private async create(id: string, impl: ModuleType, config: unknown): Promise<Running> {
    const scope = this.deps.hooks.scope(id);
    const ctx = createModuleContext({ ...this.deps, services: this.services }, id, impl.type, scope);
    try {
      const instance = await withTimeout(impl.create(ctx, config), this.timeoutMs, `create of ${id}`, (late) => {
        // Nobody holds it any more: release it.
        void late.stop().catch(() => undefined).finally(() => this.release(scope));
      });
      return { impl, instance, scope, config };
    } catch (err) {
      this.release(scope);
      throw err;
    }
  }

  /** Removes an instance's hooks and the services it exposed (both keyed by its scope). */
  private release(scope: HookScope): void {
    this.services.release(scope);
    scope.dispose();
  }

  private async stopRunning(slot: Slot): Promise<void> {
    const running = slot.running;
    if (!running) return;
    slot.running = undefined;
    slot.servingRevision = null;
    try {
      await withTimeout(running.instance.stop(), this.timeoutMs, `stop of ${slot.id}`);
    } catch (err) {
      this.deps.log.error({ err, module: slot.id }, 'module stop failed');
    } finally {
      this.release(running.scope);
    }
  }

  private fail(slot: Slot, err: unknown, what: string): void {
    const message = err instanceof Error ? err.message : String(err);
    this.deps.log.error({ err, module: slot.id }, `module ${what} failed`);
    this.setState(slot, 'failed', { error: message });
  }

  private setState(slot: Slot, state: ModuleState, extra: { reason?: string; error?: string } = {}): void {
    if (slot.state !== state) slot.since = now();
    slot.state = state;
    delete slot.reason;
    delete slot.error;
    if (extra.reason !== undefined) slot.reason = extra.reason;
    if (extra.error !== undefined) slot.error = extra.error;
    this.deps.onStatusChange?.();
  }

  private slotStatus(slot: Slot): ModuleStatus {
    const status: ModuleStatus = {
      id: slot.id,
      type: slot.type,
      state: slot.state,
      servingRevision: slot.servingRevision,
      since: slot.since,
    };
    if (slot.reason !== undefined) status.reason = slot.reason;
    if (slot.error !== undefined) status.error = slot.error;
    if (slot.state === 'running' && slot.running) {
      try {
        const health = slot.running.instance.status();
        if (health.state === 'degraded') {
          status.state = 'degraded';
          status.reason = health.reason;
        }
      } catch (err) {
        status.state = 'degraded';
        status.reason = `status() threw: ${(err as Error).message}`;
      }
    }
    return status;
  }

  private registerMetrics(): void {
    const { metrics } = this.deps;
    // A second reconciler on one registry (tests) replaces the first one's collectors.
    for (const name of METRIC_NAMES) metrics.removeSingleMetric(name);
    const self = this;
    new Gauge({
      name: 'modmq_module_status',
      help: 'Module state on this node (1 for the current state)',
      labelNames: ['module', 'type', 'state'],
      registers: [metrics],
      collect() {
        this.reset();
        for (const m of self.status().modules) this.set({ module: m.id, type: m.type, state: m.state }, 1);
      },
    });
    new Gauge({
      name: 'modmq_config_revision_applied',
      help: 'Revision of the cluster document this node has applied',
      registers: [metrics],
      collect() {
        this.set(Math.max(0, self.applied));
      },
    });
  }
}

const METRIC_NAMES = ['modmq_module_status', 'modmq_config_revision_applied'];

function now(): string {
  return new Date().toISOString();
}
