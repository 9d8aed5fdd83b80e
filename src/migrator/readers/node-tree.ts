/**
 * Reads one EMQX 4.x node directory (zip/docker layout: `etc/`, `data/`) into a LegacyNode.
 * Files: etc/emqx.conf, etc/plugins/*.conf, the ACL file (`acl_file`, default etc/acl.conf), the PSK
 * file (`psk.file.path`, default etc/psk.txt), data/loaded_plugins, data/loaded_modules. A missing
 * directory throws (the CLI exits 2); a broken or unreadable file is a problem, never a throw.
 *
 * Version detection (when not given), from markers that exist only from / until some version:
 * - 4.4: `module.slow_subs.*`, `crl_cache_*` keys;
 * - 4.3+: etc/plugins/emqx_exhook.conf, `auth_order`, `acl_order`, `log.formatter`, `node.dist_use_interface`,
 *   `mqtt.exclusive_subscription`;
 * - 4.2+: `module.rewrite.pub|sub.rule.*`, `alarm.actions`, `rpc.port_discovery`, emqx_telemetry / emqx_prometheus /
 *   emqx_exproto confs;
 * - 4.1+: `modules.loaded_file`, `log.rotation`, data/loaded_modules, emqx_auth_mnesia / emqx_sasl confs;
 * - at most 4.2: emqx_auth_username / emqx_auth_clientid / emqx_reloader / emqx_extension_hook confs;
 * - 4.0 only: the `module.presence|subscription|rewrite` on/off switches, `broker.enable_session_registry`,
 *   emqx_delayed_publish.conf.
 * The result is the highest lower bound (`4.0` .. `4.4`, minor only), or the lowest upper bound when there is
 * no lower bound; undefined without any marker. Conflicting markers add a `version-conflict` problem.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ConfDocument, LegacyNode, LegacyProblem, LoadedEntry } from '../legacy-node.js';
import { parseAclConf } from './acl-conf.js';
import { readConfFile } from './cuttlefish.js';
import { parseEnvFile } from './env-file.js';
import { overlayConfs, overlayLoaded, planEnvOverlay, type EnvOverlay } from './env-overlay.js';
import { parseLoadedList, type LoadedKind } from './loaded-list.js';
import { parsePskFile } from './psk.js';
import { compareVersions } from './version.js';

export interface ReadLegacyNodeOptions {
  /** `4.0` .. `4.4` or a full `4.3.13`; detected when absent. */
  version?: string;
  /**
   * The node's `EMQX_*` environment as an env file, applied over the files (env-overlay.ts). Reports name it
   * relative to the node directory when it is inside it, else as `shownAs` (what the user typed).
   */
  env?: { path: string; shownAs: string };
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

export async function readLegacyNode(dir: string, options: ReadLegacyNodeOptions = {}): Promise<LegacyNode> {
  const abs = path.resolve(dir);
  if (!(await isDir(abs))) throw new Error(`legacy node directory not found: ${dir}`);
  if (!(await isDir(path.join(abs, 'etc'))) && !(await isDir(path.join(abs, 'data')))) {
    throw new Error(`${dir} is not an EMQX 4.x node directory (no etc/ or data/ inside)`);
  }
  const node: LegacyNode = { name: path.basename(abs), dir: abs, plugins: new Map(), problems: [] };
  const problems = node.problems;
  const rel = (p: string) => path.relative(abs, p).split(path.sep).join('/');

  const readConf = async (p: string): Promise<ConfDocument | undefined> => {
    try {
      const doc = await readConfFile(p, abs);
      problems.push(...doc.problems);
      return doc;
    } catch (err) {
      problems.push({ code: 'file-unreadable', message: `${rel(p)}: ${(err as Error).message}`, location: { file: rel(p), line: 1 } });
      return undefined;
    }
  };
  const readText = async (p: string): Promise<string | undefined> => {
    try {
      return await readFile(p, 'utf8');
    } catch (err) {
      problems.push({ code: 'file-unreadable', message: `${rel(p)}: ${(err as Error).message}`, location: { file: rel(p), line: 1 } });
      return undefined;
    }
  };

  const emqxConfPath = path.join(abs, 'etc', 'emqx.conf');
  if (await isFile(emqxConfPath)) {
    const doc = await readConf(emqxConfPath);
    if (doc) node.emqxConf = doc;
  }

  const pluginsDir = path.join(abs, 'etc', 'plugins');
  const pluginFiles = (await isDir(pluginsDir)) ? (await readdir(pluginsDir)).sort() : [];
  for (const f of pluginFiles) {
    if (f.endsWith('.conf')) {
      const doc = await readConf(path.join(pluginsDir, f));
      if (doc) node.plugins.set(f.slice(0, -'.conf'.length), doc);
    } else if (f.endsWith('.config') && f !== 'emqx_plugin_template.config') {
      problems.push({ code: 'plugin-erlang-config', message: `etc/plugins/${f} (Erlang terms) replaces ${f.replace(/\.config$/, '.conf')} when the plugin loads; it is not migrated`, location: { file: `etc/plugins/${f}`, line: 1 } });
    }
  }

  // The environment goes over the files before anything reads their values (version, file paths).
  let overlay: EnvOverlay | undefined;
  if (options.env !== undefined) {
    const envPath = path.resolve(options.env.path);
    const label = rel(envPath).startsWith('..') || path.isAbsolute(rel(envPath)) ? options.env.shownAs : rel(envPath);
    const text = await readFile(envPath, 'utf8').catch((err: Error) => {
      problems.push({ code: 'file-unreadable', message: `${label}: ${err.message}`, location: { file: label, line: 1 } });
      return undefined;
    });
    if (text !== undefined) {
      const env = parseEnvFile(text, label);
      problems.push(...env.problems);
      overlay = planEnvOverlay(env);
      overlayConfs(node, overlay);
    }
  }

  const keyOf = (doc: ConfDocument | undefined, key: string) => doc?.settings.find((s) => s.key === key);
  const inside = (_key: string | undefined, fallback: string, doc: ConfDocument | undefined, confKey: string): string => {
    const setting = keyOf(doc, confKey);
    const resolved = setting ? resolveNodePath(abs, setting.value) : undefined;
    if (setting && !resolved) {
      problems.push({ code: 'path-outside-node', message: `${confKey} = ${setting.value} is outside the node directory; reading ${fallback} instead`, location: setting.location });
    }
    return resolved ?? path.join(abs, fallback);
  };

  const version = options.version ?? detectVersion(node, pluginFiles, await isFile(path.join(abs, 'data', 'loaded_modules')), problems);
  if (version) node.version = version;

  for (const kind of ['plugins', 'modules'] as LoadedKind[]) {
    const p = inside(undefined, `data/loaded_${kind}`, node.emqxConf, `${kind}.loaded_file`);
    if (!(await isFile(p))) continue;
    const text = await readText(p);
    if (text === undefined) continue;
    const list = text.trimStart().startsWith('[') ? parseEeLoadedJson(text, rel(p)) : parseLoadedList(text, rel(p), kind, version);
    problems.push(...list.problems);
    if (kind === 'plugins') node.loadedPlugins = list.entries;
    else node.loadedModules = list.entries;
  }

  if (overlay) {
    overlayLoaded(node, overlay);
    node.env = { file: overlay.file, notes: overlay.notes };
  }

  const aclPath = inside(undefined, 'etc/acl.conf', node.emqxConf, 'acl_file');
  if (await isFile(aclPath)) {
    const text = await readText(aclPath);
    if (text !== undefined) {
      const acl = parseAclConf(text, rel(aclPath), version);
      problems.push(...acl.problems);
      node.acl = { file: rel(aclPath), rules: acl.rules };
    }
  }

  const pskConf = node.plugins.get('emqx_psk_file');
  const pskPath = inside(undefined, 'etc/psk.txt', pskConf, 'psk.file.path');
  if (await isFile(pskPath)) {
    const text = await readText(pskPath);
    if (text !== undefined) {
      const psk = parsePskFile(text, rel(pskPath), keyOf(pskConf, 'psk.file.delimiter')?.value ?? ':');
      problems.push(...psk.problems);
      node.psk = { file: rel(pskPath), entries: psk.entries };
    }
  }
  return node;
}

/**
 * A path from a conf value inside the node dir: `{{ platform_etc_dir }}` -> etc, `{{ platform_data_dir }}`
 * -> data; relative paths are relative to the node dir (the install root); an absolute path must be
 * inside it. Undefined otherwise.
 */
export function resolveNodePath(root: string, value: string): string | undefined {
  const v = value
    .replace(/\{\{\s*platform_etc_dir\s*\}\}/g, 'etc')
    .replace(/\{\{\s*platform_data_dir\s*\}\}/g, 'data')
    .replace(/\{\{\s*platform_log_dir\s*\}\}/g, 'log');
  const p = path.resolve(root, v);
  const r = path.relative(root, p);
  return r.startsWith('..') || path.isAbsolute(r) ? undefined : p;
}

/** EMQX Enterprise writes data/loaded_modules as JSON: [{"name": "presence", "enable": true, ...}]. */
function parseEeLoadedJson(text: string, file: string): { entries: LoadedEntry[]; problems: LegacyProblem[] } {
  const problems: LegacyProblem[] = [];
  try {
    const data: unknown = JSON.parse(text);
    if (!Array.isArray(data)) throw new Error('expected a JSON array');
    const entries: LoadedEntry[] = [];
    for (const e of data) {
      if (typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string') {
        const { name, enable } = e as { name: string; enable?: unknown };
        entries.push({ name, enabled: enable !== false, location: { file, line: 1 } });
      } else problems.push({ code: 'loaded-invalid-entry', message: `${JSON.stringify(e)}: expected {"name": ..., "enable": ...}`, location: { file, line: 1 } });
    }
    return { entries, problems };
  } catch (err) {
    problems.push({ code: 'loaded-invalid-json', message: `${file}: ${(err as Error).message}`, location: { file, line: 1 } });
    return { entries: [], problems };
  }
}

function detectVersion(node: LegacyNode, pluginFiles: string[], hasLoadedModules: boolean, problems: LegacyProblem[]): string | undefined {
  const keys = new Set(node.emqxConf?.settings.map((s) => s.key) ?? []);
  const hasKey = (re: RegExp) => [...keys].some((k) => re.test(k));
  const hasPlugin = (name: string) => pluginFiles.includes(`${name}.conf`);
  const lower: string[] = [];
  const upper: string[] = [];
  if (hasKey(/^module\.slow_subs\./) || hasKey(/^crl_cache_/)) lower.push('4.4');
  if (hasPlugin('emqx_exhook') || ['auth_order', 'acl_order', 'log.formatter', 'node.dist_use_interface', 'mqtt.exclusive_subscription'].some((k) => keys.has(k))) lower.push('4.3');
  if (hasKey(/^module\.rewrite\.(pub|sub)\.rule\./) || keys.has('alarm.actions') || keys.has('rpc.port_discovery') || ['emqx_telemetry', 'emqx_prometheus', 'emqx_exproto'].some(hasPlugin)) lower.push('4.2');
  if (keys.has('modules.loaded_file') || keys.has('log.rotation') || hasLoadedModules || ['emqx_auth_mnesia', 'emqx_sasl'].some(hasPlugin)) lower.push('4.1');
  if (['emqx_auth_username', 'emqx_auth_clientid', 'emqx_reloader', 'emqx_extension_hook'].some(hasPlugin) || keys.has('broker.perf.route_lock_type')) upper.push('4.2');
  if (['module.presence', 'module.subscription', 'module.rewrite', 'broker.enable_session_registry'].some((k) => keys.has(k)) || hasPlugin('emqx_delayed_publish')) upper.push('4.0');
  const lo = lower.sort(compareVersions).at(-1);
  const hi = upper.sort(compareVersions)[0];
  if (lo && hi && compareVersions(lo, hi) > 0) {
    problems.push({ code: 'version-conflict', message: `the files mix markers of EMQX ${hi} and earlier with markers of ${lo} and later; assuming ${lo}`, location: { file: node.emqxConf?.file ?? 'etc/emqx.conf', line: 1 } });
  }
  return lo ?? hi;
}
