/**
 * Which plugins and modules a 4.x node ran, from data/loaded_plugins, data/loaded_modules and (4.0)
 * the `module.<name> = on` switches of emqx.conf.
 *
 * - Duplicates: the last entry for a name wins (4.3.13+/4.4.2+ behaviour; older versions loaded a
 *   name if any entry said true: the difference is reported as a warning).
 * - Missing loaded_modules on 4.1+: later patch releases wrote acl_internal + presence; we assume that.
 * - 4.0 has no loaded_modules: the internal ACL is always on, the others follow emqx.conf switches.
 */
import type { LegacyNode, LoadedEntry } from './legacy-node.js';

export interface LoadState {
  /** Name -> loaded? */
  enabled: Map<string, boolean>;
  /** Name -> position in its file (plugins first, then modules), for chain order. */
  order: Map<string, number>;
  notes: Array<{ code: string; message: string }>;
}

const DEFAULT_MODULES = ['emqx_mod_acl_internal', 'emqx_mod_presence'];

export function loadState(node: LegacyNode): LoadState {
  const state: LoadState = { enabled: new Map(), order: new Map(), notes: [] };
  addEntries(state, node.loadedPlugins ?? [], 'data/loaded_plugins');
  if (node.loadedModules) {
    addEntries(state, node.loadedModules, 'data/loaded_modules', 1000);
  } else if (node.version === '4.0' || node.version?.startsWith('4.0.')) {
    state.enabled.set('emqx_mod_acl_internal', true);
    for (const s of node.emqxConf?.settings ?? []) {
      const m = /^module\.(presence|subscription|rewrite)$/.exec(s.key);
      if (m) state.enabled.set(`emqx_mod_${m[1]}`, s.value === 'on');
    }
  } else {
    DEFAULT_MODULES.forEach((name, i) => {
      state.enabled.set(name, true);
      state.order.set(name, 1000 + i);
    });
    if (node.emqxConf) {
      state.notes.push({ code: 'loaded-modules-missing', message: 'data/loaded_modules is missing: assuming the 4.x default (emqx_mod_acl_internal, emqx_mod_presence)' });
    }
  }
  return state;
}

function addEntries(state: LoadState, entries: readonly LoadedEntry[], file: string, base = 0): void {
  entries.forEach((entry, i) => {
    const before = state.enabled.get(entry.name);
    if (before === true && !entry.enabled) {
      state.notes.push({
        code: 'loaded-duplicate',
        message: `${file}:${entry.location.line}: ${entry.name} is listed again as false; 4.3.13+/4.4.2+ do not load it (taken), older versions did`,
      });
    }
    state.enabled.set(entry.name, entry.enabled);
    if (!state.order.has(entry.name)) state.order.set(entry.name, base + i);
  });
}

export function isLoaded(state: LoadState, names: readonly string[]): boolean {
  return names.some((n) => state.enabled.get(n) === true);
}

export function loadPosition(state: LoadState, names: readonly string[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (const n of names) best = Math.min(best, state.order.get(n) ?? Number.POSITIVE_INFINITY);
  return best;
}
