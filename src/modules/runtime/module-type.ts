/**
 * THE module contract. A module type is a plain object exported from `src/modules/<type>/index.ts`
 * and listed in `src/modules/index.ts`. Everything a module does to the broker goes through the
 * {@link ModuleContext} it is given; everything the runtime needs from it is below.
 *
 * Lifecycle, driven by the reconciler (`reconciler.ts`) for each module record of the cluster
 * document, in document order:
 *
 *   validated config ──create()──▶ instance ──update()──▶ same instance, new config
 *                                     │
 *                                     └──stop()──▶ gone (ports, timers, sockets and hooks freed)
 *
 * Guarantees the runtime gives a module:
 * - `config` has passed `schemas/modules/<type>/v<schemaVersion>.json` (defaults applied) and
 *   `check()`; it is deep-frozen.
 * - `create`, `update` and `stop` are never called concurrently for the same module id.
 * - Hooks registered through `ctx.hooks` and services exposed through `ctx.expose` are removed
 *   after `stop()` even if the module forgets.
 *
 * Promises a module makes to the runtime:
 * - `create` either resolves with a running instance or rejects having released everything it
 *   acquired. The runtime then reports the module `failed` with that error.
 * - `update` is atomic: if it rejects, the instance keeps serving with its previous config.
 *   Without `update`, a config change replaces the instance (see {@link ModuleType.replace}).
 * - `stop` releases every port, timer, socket and connection, and never rejects for a normal stop.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BrokerApi } from '../../broker/broker-api.js';
import type { ModuleHooks, Unhook } from '../../broker/hooks.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import type { ModuleFamily } from '../../schema/catalog.js';
import type { Problem } from '../../schema/problem.js';

export interface ModuleType<C = any> {
  /** Kebab-case id, identical to the schema folder and the `type` field: `topic-rewrite`. */
  readonly type: string;
  readonly family: ModuleFamily;
  /** The schema version this implementation runs; older stored versions are migrated to it. */
  readonly schemaVersion: number;
  /**
   * Semantic checks the JSON Schema cannot express (a regex compiles, a file exists). Pointers are
   * relative to the config. Runs before anything is stored; problems reject the change with 400.
   */
  check?(config: C): Problem[];
  create(ctx: ModuleContext, config: C): Promise<ModuleInstance<C>>;
  /**
   * How a config change is applied when the instance has no `update`:
   * - `create-first` (default): create the new instance, then stop the old one; if create fails,
   *   the old one never stopped serving.
   * - `stop-first`: for types that hold an exclusive resource (a listening port). Stop the old,
   *   create the new; if that fails, recreate the old from its config so it keeps serving.
   */
  readonly replace?: 'create-first' | 'stop-first';
}

export interface ModuleInstance<C = any> {
  /** Hot update; atomic (reject = previous config still in force). Absent = replace. */
  update?(next: C): Promise<void>;
  stop(): Promise<void>;
  /** Cheap, synchronous; called by the API and /metrics. */
  status(): InstanceHealth;
}

/** What an instance says about itself. The runtime adds states an instance cannot report. */
export type InstanceHealth = { state: 'running' } | { state: 'degraded'; reason: string };

export interface ModuleContext {
  /** The module record's id in the cluster document. */
  readonly moduleId: string;
  readonly node: { readonly name: string; readonly dataDir: string };
  /** Present when the node runs in a Redis cluster: shared state goes there (cluster-context.ts). */
  readonly cluster?: ClusterContext;
  /** A directory of this module's own under the node's data dir (created on first use). */
  dataDir(): Promise<string>;
  readonly log: Logger;
  /** The node's Prometheus registry; register metrics with names prefixed `modmq_`. */
  readonly metrics: Registry;
  readonly broker: BrokerApi;
  readonly hooks: ModuleHooks;
  /**
   * Makes a service available to the node (the management API serves well-known names such as
   * `auth-builtin-db`, `delayed-publish`, `recon`). Released automatically when the instance stops;
   * the latest exposure of a name wins.
   */
  expose(name: string, service: unknown): Unhook;
}
