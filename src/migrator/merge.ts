/**
 * Merging node plans into one cluster document.
 * - A module (by id) is compared leaf by leaf (arrays are one leaf): identical -> one module;
 *   a differing leaf is a conflict listing every node's value with file:line.
 * - Only nodes that load a module vote on its config (a conf file nobody ran is not a conflict);
 *   when no node loads it, every node that has it votes.
 * - `prefer` takes that node's value; `strict: false` takes the majority value, ties go to the
 *   first node in argument order; both report the resolution as a warning.
 * - A module loaded on some nodes only: warning `partially-loaded`, the module is enabled cluster-wide.
 * - Node-local values never conflict: each node keeps its own.
 */
import type { ClusterDocument, ModuleRecord } from '../store/cluster-document.js';
import { orderModules } from './chain-order.js';
import { flattenLeaves, jsonEqual, setPointer } from './json-leaves.js';
import type { Location } from './legacy-node.js';
import type { Located, NodePlan, PlannedModule } from './plan-types.js';

export interface ConflictValue {
  node: string;
  value: unknown;
  file: string | null;
  line: number | null;
}

export interface Conflict {
  /** Module id, or `settings`. */
  module: string;
  pointer: string;
  values: ConflictValue[];
}

export interface MergeWarning {
  code: string;
  message: string;
  nodes: string[];
}

export interface MergeOptions {
  prefer?: string;
  /** Default true: conflicts fail the run. */
  strict?: boolean;
  /** Mapping sources in registration order (orders non-chain modules). */
  sourceOrder?: readonly string[];
  /** Module type -> schema version for records. */
  schemaVersion?: (type: string) => number;
}

export interface MergeResult {
  document: ClusterDocument;
  /** Unresolved conflicts (fail the run). */
  conflicts: Conflict[];
  /** Conflicts decided by --prefer / --strict=false. */
  resolved: Conflict[];
  warnings: MergeWarning[];
  /** Node name -> node config (nested object). */
  nodeConfigs: Map<string, Record<string, unknown>>;
  /** Module id -> type, for redaction. */
  moduleTypes: Map<string, string>;
}

interface Voter {
  node: string;
  values: Map<string, unknown>;
  locate(pointer: string): Location | undefined;
}

export function mergePlans(plans: readonly NodePlan[], options: MergeOptions = {}): MergeResult {
  const strict = options.strict ?? true;
  const result: MergeResult = {
    document: { version: 1, settings: {} as ClusterDocument['settings'], modules: [] },
    conflicts: [], resolved: [], warnings: [], nodeConfigs: new Map(), moduleTypes: new Map(),
  };
  const decide = (module: string, base: Record<string, unknown>, voters: Voter[]): Record<string, unknown> => {
    const merged = structuredClone(base);
    const pointers = new Set<string>();
    for (const v of voters) for (const p of v.values.keys()) pointers.add(p);
    for (const pointer of [...pointers].sort()) {
      const values = voters.map((v) => v.values.get(pointer));
      if (values.every((x) => jsonEqual(x, values[0]))) continue;
      const conflict: Conflict = {
        module, pointer,
        values: voters.map((v, i) => {
          const at = v.locate(pointer);
          return { node: v.node, value: values[i], file: at?.file ?? null, line: at?.line ?? null };
        }),
      };
      const chosen = choose(voters, values, options.prefer, strict);
      if (chosen === undefined) {
        result.conflicts.push(conflict);
        continue;
      }
      result.resolved.push(conflict);
      result.warnings.push({
        code: 'conflict-resolved',
        message: `${module}${pointer}: took the value of ${voters[chosen]?.node} (${options.prefer === voters[chosen]?.node ? '--prefer' : 'majority, then first node'})`,
        nodes: voters.map((v) => v.node),
      });
      setPointer(merged, pointer, values[chosen]);
    }
    return merged;
  };

  // Settings: every node that had an emqx.conf votes.
  const settingVoters = plans.filter((p) => p.settings.size > 0).map((p) => locatedVoter(p.node, p.settings));
  const baseSettings = settingVoters.length > 0 ? buildObject(plans.find((p) => p.settings.size > 0)?.settings ?? new Map()) : {};
  result.document.settings = decide('settings', baseSettings, settingVoters) as unknown as ClusterDocument['settings'];

  // Modules, by id.
  const byId = new Map<string, Array<{ plan: NodePlan; module: PlannedModule }>>();
  let seen = 0;
  const firstSeen = new Map<string, number>();
  for (const plan of plans) {
    for (const module of plan.modules) {
      byId.set(module.id, [...(byId.get(module.id) ?? []), { plan, module }]);
      if (!firstSeen.has(module.id)) firstSeen.set(module.id, seen++);
    }
  }
  const records: Array<ModuleRecord & { loadOrder: number; mappingIndex: number; firstSeen: number }> = [];
  for (const [id, contributors] of byId) {
    const loaded = contributors.filter((c) => c.module.enabled);
    const voting = loaded.length > 0 ? loaded : contributors;
    const voters: Voter[] = voting.map(({ plan, module }) => ({
      node: plan.node,
      values: flattenLeaves(module.config),
      locate: (pointer) => locateIn(module.locations, pointer),
    }));
    const preferred = voting.find((c) => c.plan.node === options.prefer) ?? voting[0];
    if (!preferred) continue;
    const config = decide(id, preferred.module.config, voters);
    const nodePlans = contributors.filter((c) => !c.plan.isExport);
    if (loaded.length > 0 && loaded.length < contributors.length) {
      result.warnings.push({
        code: 'partially-loaded',
        message: `${preferred.module.source} (${id}) is loaded on ${loaded.map((c) => c.plan.node).join(', ')} only; the module becomes cluster-wide and enabled`,
        nodes: loaded.map((c) => c.plan.node),
      });
    } else if (loaded.length > 0 && nodePlans.length > 0 && nodePlans.length < plans.filter((p) => !p.isExport).length) {
      result.warnings.push({
        code: 'partially-loaded',
        message: `${preferred.module.source} (${id}) is configured on ${nodePlans.map((c) => c.plan.node).join(', ')} only; the module becomes cluster-wide and enabled`,
        nodes: nodePlans.map((c) => c.plan.node),
      });
    }
    const type = preferred.module.type;
    result.moduleTypes.set(id, type);
    const sourceIndex = options.sourceOrder?.indexOf(preferred.module.source) ?? -1;
    records.push({
      id, type, schemaVersion: options.schemaVersion?.(type) ?? 1, enabled: loaded.length > 0, config,
      loadOrder: Math.min(...contributors.map((c) => c.module.loadOrder)),
      mappingIndex: sourceIndex < 0 ? Number.MAX_SAFE_INTEGER : sourceIndex,
      firstSeen: firstSeen.get(id) ?? 0,
    });
  }
  const authOrder = agreedOrder(plans, 'authOrder', result);
  const aclOrder = agreedOrder(plans, 'aclOrder', result);
  result.document.modules = orderModules(records, authOrder, aclOrder).map(({ id, type, schemaVersion, enabled, config }) => ({
    id, type, schemaVersion, enabled, config,
  }));

  for (const plan of plans) if (!plan.isExport) result.nodeConfigs.set(plan.node, buildObject(plan.nodeConfig));
  return result;
}

/** Index of the chosen voter, or undefined when the conflict stays open. */
function choose(voters: readonly Voter[], values: readonly unknown[], prefer: string | undefined, strict: boolean): number | undefined {
  const preferred = voters.findIndex((v) => v.node === prefer);
  if (preferred >= 0) return preferred;
  if (strict) return undefined;
  let best = 0;
  let bestCount = 0;
  values.forEach((value, i) => {
    const count = values.filter((x) => jsonEqual(x, value)).length;
    if (count > bestCount) {
      best = i;
      bestCount = count;
    }
  });
  return best;
}

function agreedOrder(plans: readonly NodePlan[], field: 'authOrder' | 'aclOrder', result: MergeResult): string[] | undefined {
  const withOrder = plans.filter((p) => p[field] !== undefined);
  const first = withOrder[0]?.[field];
  if (withOrder.some((p) => !jsonEqual(p[field], first))) {
    result.warnings.push({
      code: 'order-differs',
      message: `${field === 'authOrder' ? 'auth_order' : 'acl_order'} differs between nodes: the order of ${withOrder[0]?.node} is used`,
      nodes: withOrder.map((p) => p.node),
    });
  }
  return first;
}

function locatedVoter(node: string, values: Map<string, Located>): Voter {
  const flat = new Map<string, unknown>();
  for (const [pointer, located] of values) for (const [p, v] of flattenLeaves(located.value, pointer)) flat.set(p, v);
  return { node, values: flat, locate: (pointer) => values.get(pointer)?.location };
}

/** The location of a pointer or of the nearest key written under it (arrays are leaves). */
function locateIn(locations: Map<string, Location>, pointer: string): Location | undefined {
  const exact = locations.get(pointer);
  if (exact) return exact;
  for (const [p, at] of locations) if (p.startsWith(`${pointer}/`) || pointer.startsWith(`${p}/`)) return at;
  return undefined;
}

/** Pointer map -> nested object. */
export function buildObject(values: Map<string, Located>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [pointer, located] of values) setPointer(out, pointer, located.value);
  return out;
}
