/**
 * Per-node plan: run every mapping whose source is present or loaded on one legacy node.
 *
 * - emqx.conf keys go to the mapping whose `keyPrefixes` match (longest prefix wins), the rest to
 *   the core mapping (settings, node-local, not-mapped with reasons).
 * - A plugin mapping runs when its conf file exists or the plugin is loaded. Its module is
 *   `enabled` when data/loaded_plugins / loaded_modules (4.0: emqx.conf switches) load it; a conf
 *   present but not loaded still yields the module, disabled, so nothing is lost.
 * - Plugin confs without any mapping: every key `not-mapped`.
 */
import { emqxCore, parseOrder } from '../../migrations/legacy/emqx-core.js';
import type { ForwardResult, LegacyMapping } from '../../migrations/legacy/mapping.js';
import type { ConfSetting, LegacyNode, Location } from './legacy-node.js';
import { isLoaded, loadPosition, loadState, type LoadState } from './loaded.js';
import type { NodePlan, PlannedModule } from './plan-types.js';
import { compareVersions } from './readers/version.js';

const isCoreSource = (m: LegacyMapping): boolean => m.source.startsWith('emqx.conf:');

export function planNode(node: LegacyNode, mappings: readonly LegacyMapping[]): NodePlan {
  const plan: NodePlan = {
    node: node.name, modules: [], settings: new Map(), nodeConfig: new Map(), keys: [], warnings: [], errors: [],
  };
  if (node.version !== undefined) plan.version = node.version;
  for (const p of node.problems) plan.errors.push({ code: p.code, message: p.message, node: node.name, location: p.location });
  const state = loadState(node);
  for (const n of state.notes) plan.warnings.push({ ...n, node: node.name });
  const context = node.version === undefined ? { node } : { node, version: node.version };
  const run = (mapping: LegacyMapping, settings: readonly ConfSetting[], file: string): void => {
    let result: ForwardResult;
    try {
      result = mapping.forward(settings, context);
    } catch (error) {
      plan.errors.push({ code: 'mapping-failed', message: `${mapping.source}: ${(error as Error).message}`, node: node.name, location: { file, line: 1 } });
      return;
    }
    absorb(plan, mapping, result, state);
  };

  // emqx.conf: split by keyPrefixes.
  const core = mappings.find((m) => m.source === emqxCore.source) ?? emqxCore;
  const prefixed = mappings.filter((m) => m !== core && (m.keyPrefixes?.length ?? 0) > 0);
  const groups = new Map<LegacyMapping, ConfSetting[]>();
  const rest: ConfSetting[] = [];
  for (const s of node.emqxConf?.settings ?? []) {
    const owner = claimOwner(prefixed, s.key);
    if (owner) groups.set(owner, [...(groups.get(owner) ?? []), s]);
    else rest.push(s);
    if (s.key === 'auth_order') setOrder(plan, 'authOrder', s.value);
    if (s.key === 'acl_order') setOrder(plan, 'aclOrder', s.value);
  }
  const emqxFile = node.emqxConf?.file ?? 'etc/emqx.conf';
  if (node.emqxConf) run(core, rest, emqxFile);
  for (const mapping of prefixed) {
    const group = groups.get(mapping) ?? [];
    const wanted = group.length > 0 || (mapping.moduleType !== null && isLoaded(state, mapping.loadedAs)) || needsNode(mapping, node);
    if (wanted) run(mapping, group, emqxFile);
  }

  // Plugins.
  const claimed = new Set<string>();
  for (const mapping of mappings) {
    if (isCoreSource(mapping) || mapping === core) continue;
    const doc = node.plugins.get(mapping.source);
    // emqx.conf-based mappings (keyPrefixes) already ran above.
    if (!doc && prefixed.includes(mapping)) continue;
    if (doc) claimed.add(mapping.source);
    if (doc || isLoaded(state, mapping.loadedAs)) run(mapping, doc?.settings ?? [], doc?.file ?? `etc/plugins/${mapping.source}.conf`);
  }
  for (const [name, doc] of node.plugins) {
    if (claimed.has(name)) continue;
    for (const s of doc.settings) {
      plan.keys.push({ node: node.name, key: s.key, location: s.location, class: 'not-mapped', reason: `no mapping for plugin ${name}` });
    }
    if (state.enabled.get(name)) plan.warnings.push({ code: 'plugin-not-migrated', message: `${name} is loaded but has no mapping`, node: node.name });
  }
  if (node.env) attachEnvSources(plan, node);
  return plan;
}

/** Keys the env file set name the file lines they replaced; the env layer's notes become warnings. */
function attachEnvSources(plan: NodePlan, node: LegacyNode): void {
  const env = node.env;
  if (!env) return;
  for (const n of env.notes) plan.warnings.push({ code: n.code, message: n.message, node: node.name, location: n.location });
  const replaced = new Map<number, Location[]>();
  for (const doc of [node.emqxConf, ...node.plugins.values()]) {
    for (const s of doc?.settings ?? []) if (s.location.file === env.file && s.overridden?.length) replaced.set(s.location.line, s.overridden);
  }
  const before43 = node.version !== undefined && compareVersions(node.version, '4.3') < 0;
  const shape = (key: string): string => key.replace(/\.\d+(?=\.|$)/g, '.N');
  const fileShapes = new Set<string>();
  for (const doc of [node.emqxConf, ...node.plugins.values()]) {
    for (const s of doc?.settings ?? []) if (s.location.file !== env.file) fileShapes.add(shape(s.key));
  }
  for (const k of plan.keys) {
    if (k.location.file !== env.file) continue;
    k.fromEnv = true;
    const overrides = replaced.get(k.location.line);
    if (overrides) k.overrides = overrides;
    else if (before43 && !(shape(k.key) !== k.key && fileShapes.has(shape(k.key)))) {
      // 4.0–4.2 Docker edits lines that exist (numbered keys: next to a sibling); cuttlefish itself reads no env.
      const message = `${k.key}: no file sets this key; the ${node.version} Docker entrypoint only rewrites existing or commented-out lines (and appends numbered keys next to a sibling), so check that the node used it (migrated as set)`;
      plan.warnings.push({ code: 'env-key-not-in-file', message, node: node.name, location: k.location });
    }
  }
}

/** The acl-file mapping reads etc/acl.conf from the node itself (no emqx.conf key needed). */
function needsNode(mapping: LegacyMapping, node: LegacyNode): boolean {
  return mapping.moduleType === 'acl-file' && node.acl !== undefined;
}

function claimOwner(mappings: readonly LegacyMapping[], key: string): LegacyMapping | undefined {
  let best: LegacyMapping | undefined;
  let bestLength = -1;
  for (const m of mappings) {
    for (const prefix of m.keyPrefixes ?? []) {
      // `module.rewrite.` claims its subkeys; `module.rewrite` (no dot) claims itself too.
      const hit = key === prefix || key.startsWith(prefix) || key === prefix.replace(/\.$/, '');
      if (hit && prefix.length > bestLength) {
        best = m;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

function setOrder(plan: NodePlan, field: 'authOrder' | 'aclOrder', raw: string): void {
  const order = parseOrder(raw);
  if (order) plan[field] = order;
  else delete plan[field];
}

/** Adds one mapping's result to the node plan. */
export function absorb(plan: NodePlan, mapping: LegacyMapping, result: ForwardResult, state?: LoadState, enabled?: boolean): void {
  const node = plan.node;
  const locations = new Map<string, Location>();
  for (const k of result.keys) {
    plan.keys.push({ ...k, node });
    const target = k.target ?? '';
    const hash = target.indexOf('#');
    if (hash < 0) continue;
    const where = target.slice(0, hash);
    const pointer = target.slice(hash + 1);
    if (where === 'settings') plan.settings.set(pointer, { value: result.settings?.[pointer], location: k.location });
    else if (where === 'node') for (const p of pointer.split(',')) locations.set(`node:${p}`, k.location);
    else if (where === mapping.moduleType) locations.set(pointer, k.location);
  }
  for (const w of result.warnings) {
    const warning = { code: w.code, message: w.message, node, ...(w.location ? { location: w.location } : {}) };
    plan.warnings.push(warning);
  }
  for (const [pointer, value] of Object.entries(result.settings ?? {})) {
    const known = plan.settings.get(pointer);
    plan.settings.set(pointer, known?.location ? { value, location: known.location } : { value });
  }
  for (const [pointer, value] of Object.entries(result.node ?? {})) {
    const location = locations.get(`node:${pointer}`);
    plan.nodeConfig.set(pointer, location ? { value, location } : { value });
  }
  if (mapping.moduleType === null || result.config === undefined) return;
  const type = mapping.moduleType;
  let id = type;
  if (plan.modules.some((m) => m.id === id)) {
    id = `${type}:${mapping.source.replace(/^emqx_|^ee:/, '').replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    plan.warnings.push({ code: 'duplicate-module-type', message: `${mapping.source} also maps to ${type}: kept as module ${id}`, node });
  }
  const module: PlannedModule = {
    id, type, source: mapping.source, config: result.config, locations,
    enabled: enabled ?? (state ? isLoaded(state, mapping.loadedAs) : true),
    loadOrder: state ? loadPosition(state, mapping.loadedAs) : Number.POSITIVE_INFINITY,
  };
  plan.modules.push(module);
}
