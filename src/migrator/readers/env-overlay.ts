/**
 * Applies a node's `EMQX_*` environment to what its files say (legacy-formats.md §2.6):
 * - 4.3/4.4 cuttlefish overlays `EMQX_<KEY>` (strip `EMQX_`, `__` -> `.`, lower-case) on emqx.conf and on
 *   every plugin conf at generation time, env > file; an empty value deletes the key (the default applies).
 *   4.0–4.2 Docker writes the same values into the files, so applying them again changes nothing there.
 * - A key no file has joins the file that owns it (conf-owner.ts), as if it were written there.
 * - `EMQX_LOADED_PLUGINS` / `EMQX_LOADED_MODULES` (Docker entrypoint): every name listed is loaded
 *   (`{X, false}` and bare `X` become `{X, true}`, an unlisted name is appended); names never get unloaded.
 * The env value takes the env file:line as its location and keeps the file's lines in `overridden`, so the
 * report can name both. Everything else worth knowing becomes a note (a report warning) with its line.
 */
import type { ConfDocument, ConfSetting, LegacyNode, LegacyProblem, LoadedEntry } from '../legacy-node.js';
import { pluginOwningKey } from './conf-owner.js';
import type { EnvFile, EnvVar } from './env-file.js';

const PREFIX = 'EMQX_';

/** Variables the Docker entrypoint reads itself; they are no config key. */
const ENTRYPOINT_ONLY: Record<string, string> = {
  EMQX_NAME: 'the Docker entrypoint builds node.name from it and the host name',
  EMQX_HOST: 'the Docker entrypoint builds node.name from it',
  EMQX_WAIT_TIME: 'the Docker entrypoint waits this long for the node to start',
  EMQX_ADMIN_PASSWORD: 'the 4.0–4.2 Docker entrypoint writes it into dashboard.default_user.password',
};

export interface EnvOverlay {
  file: string;
  /** Config key -> the variable that sets it (the last one written). */
  settings: Map<string, EnvVar>;
  loadedPlugins?: EnvVar;
  loadedModules?: EnvVar;
  notes: LegacyProblem[];
}

/** Sorts the variables of an env file into config keys, loaded lists and ignored names. */
export function planEnvOverlay(env: EnvFile): EnvOverlay {
  const overlay: EnvOverlay = { file: env.file, settings: new Map(), notes: [] };
  const note = (code: string, v: EnvVar, message: string): void => {
    overlay.notes.push({ code, message, location: v.location });
  };
  const last = new Map<string, EnvVar>();
  for (const v of env.vars) {
    const earlier = last.get(v.name);
    if (earlier) note('env-duplicate', earlier, `${v.name} is set again at line ${v.location.line}: the later value is used`);
    last.set(v.name, v);
  }
  // `EMQX_NODE_NAME` wins over `EMQX_NODE__NAME` (4.4 Docker entrypoint), whatever their order.
  const byName = [...last.values()].sort((a, b) => Number(a.name === 'EMQX_NODE_NAME') - Number(b.name === 'EMQX_NODE_NAME'));
  for (const v of byName) {
    if (!v.name.startsWith(PREFIX)) {
      note('env-ignored', v, `${v.name} is not an EMQX_* variable: ignored`);
    } else if (v.name === 'EMQX_LOADED_PLUGINS') {
      overlay.loadedPlugins = v;
    } else if (v.name === 'EMQX_LOADED_MODULES') {
      overlay.loadedModules = v;
    } else if (ENTRYPOINT_ONLY[v.name] !== undefined) {
      note('env-ignored', v, `${v.name} is not a config key (${ENTRYPOINT_ONLY[v.name]}): not migrated`);
    } else {
      const key = v.name === 'EMQX_NODE_NAME' ? 'node.name' : envKey(v.name);
      if (key === undefined) {
        note('env-ignored', v, `${v.name} names no config key (empty level): ignored`);
        continue;
      }
      const shadowed = overlay.settings.get(key);
      if (shadowed) note('env-ignored', shadowed, `${shadowed.name} is replaced by ${v.name} (line ${v.location.line}) for ${key}`);
      overlay.settings.set(key, v);
    }
  }
  return overlay;
}

/** `EMQX_LISTENER__TCP__EXTERNAL` -> `listener.tcp.external`; undefined when a level is empty. */
export function envKey(name: string): string | undefined {
  const key = name.slice(PREFIX.length).replace(/__/g, '.').toLowerCase();
  return key.split('.').some((level) => level === '') ? undefined : key;
}

/** Env > file for every config key of the overlay, in emqx.conf or the plugin conf that owns the key. */
export function overlayConfs(node: LegacyNode, overlay: EnvOverlay): void {
  const docs = (): ConfDocument[] => [...(node.emqxConf ? [node.emqxConf] : []), ...node.plugins.values()];
  for (const [key, v] of overlay.settings) {
    let holders = docs().filter((d) => d.settings.some((s) => s.key === key));
    if (v.value === '') {
      const where = holders.map((d) => `${d.file}:${d.settings.find((s) => s.key === key)?.location.line}`);
      for (const d of holders) d.settings = d.settings.filter((s) => s.key !== key);
      const message = where.length > 0 ? `${v.name} is empty: removes ${key} (${where.join(', ')}); the 4.x default applies` : `${v.name} is empty: ${key} is not set, the 4.x default applies`;
      overlay.notes.push({ code: 'env-unset', message, location: v.location });
      continue;
    }
    if (holders.length === 0) holders = [owningDoc(node, key)];
    for (const doc of holders) {
      const index = doc.settings.findIndex((s) => s.key === key);
      const setting: ConfSetting = { key, path: key.split('.'), value: v.value, location: v.location };
      const old = doc.settings[index];
      if (old) {
        setting.overridden = [...(old.overridden ?? []), old.location];
        doc.settings[index] = setting;
      } else doc.settings.push(setting);
    }
  }
}

function owningDoc(node: LegacyNode, key: string): ConfDocument {
  const plugin = pluginOwningKey(key, node);
  if (plugin === undefined) {
    node.emqxConf ??= { file: 'etc/emqx.conf', settings: [], problems: [] };
    return node.emqxConf;
  }
  const doc = node.plugins.get(plugin) ?? { file: `etc/plugins/${plugin}.conf`, settings: [], problems: [] };
  node.plugins.set(plugin, doc);
  return doc;
}

/** EMQX_LOADED_PLUGINS / EMQX_LOADED_MODULES: load every name they list. */
export function overlayLoaded(node: LegacyNode, overlay: EnvOverlay): void {
  const apply = (v: EnvVar | undefined, list: LoadedEntry[], file: string): LoadedEntry[] => {
    if (!v) return list;
    for (const name of v.value.split(/[^A-Za-z0-9_]+/).filter((n) => n !== '')) {
      const entries = list.filter((e) => e.name === name);
      const off = entries.filter((e) => !e.enabled);
      if (entries.length === 0 || off.length > 0) {
        const was = off.length > 0 ? `${file}:${off.map((e) => e.location.line).join(',')} had it false` : `not listed in ${file}`;
        overlay.notes.push({ code: 'env-loaded', message: `${v.name} loads ${name} (${was})`, location: v.location });
      }
      for (const e of off) Object.assign(e, { enabled: true, location: v.location });
      if (entries.length === 0) list.push({ name, enabled: true, location: v.location });
    }
    return list;
  };
  if (overlay.loadedPlugins) node.loadedPlugins = apply(overlay.loadedPlugins, node.loadedPlugins ?? [], 'data/loaded_plugins');
  if (overlay.loadedModules) node.loadedModules = apply(overlay.loadedModules, node.loadedModules ?? [], 'data/loaded_modules');
}
