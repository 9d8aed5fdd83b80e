/**
 * `modmq migrate --reverse CLUSTER_FILE --out DIR`: the rollback path. Writes a 4.x node tree from a
 * cluster document with each mapping's reverse(): etc/plugins/<plugin>.conf, the emqx.conf keys
 * (cluster settings and module.* keys), data/loaded_plugins and data/loaded_modules (the module's
 * `enabled`), and etc/acl.conf when the acl-file mapping can render it. The mapping used for a type
 * is the first registered one (legacyMappings lists the 4.3/4.4 plugin first).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfLine, LegacyMapping } from '../../migrations/legacy/mapping.js';
import type { ClusterDocument, ClusterSettings } from '../store/cluster-document.js';
import { renderConf } from './readers/cuttlefish.js';

export interface ReverseResult {
  files: string[];
  /** Module ids no mapping could write back. */
  skipped: string[];
}

/** Cluster settings -> emqx.conf lines (the inverse of the core mapping). */
export function settingsLines(settings: Partial<ClusterSettings>): ConfLine[] {
  const lines: ConfLine[] = [];
  if (settings.allow_anonymous !== undefined) lines.push({ key: 'allow_anonymous', value: String(settings.allow_anonymous) });
  if (settings.acl_nomatch !== undefined) lines.push({ key: 'acl_nomatch', value: settings.acl_nomatch });
  if (settings.acl_deny_action !== undefined) lines.push({ key: 'acl_deny_action', value: settings.acl_deny_action });
  const cache = settings.acl_cache;
  if (cache?.enable !== undefined) lines.push({ key: 'enable_acl_cache', value: cache.enable ? 'on' : 'off' });
  if (cache?.max_size !== undefined) lines.push({ key: 'acl_cache_max_size', value: String(cache.max_size) });
  if (cache?.ttl !== undefined) lines.push({ key: 'acl_cache_ttl', value: cache.ttl });
  return lines;
}

export interface AclRenderer {
  /** Renders etc/acl.conf (Erlang terms) from an acl-file module config. */
  (config: Record<string, unknown>): string;
}

export async function writeReverse(
  document: ClusterDocument,
  mappings: readonly LegacyMapping[],
  outDir: string,
  renderAcl?: AclRenderer,
): Promise<ReverseResult> {
  const result: ReverseResult = { files: [], skipped: [] };
  const emqxLines: ConfLine[] = [...settingsLines(document.settings ?? {})];
  const plugins: Array<{ name: string; enabled: boolean }> = [];
  const modules: Array<{ name: string; enabled: boolean }> = [];
  const put = async (name: string, text: string): Promise<void> => {
    const file = path.join(outDir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text, 'latin1');
    result.files.push(name);
  };
  for (const module of document.modules ?? []) {
    const mapping = mappings.find((m) => m.moduleType === module.type);
    if (!mapping) {
      result.skipped.push(module.id);
      continue;
    }
    const enabled = module.enabled !== false;
    for (const name of mapping.loadedAs) (name.startsWith('emqx_mod_') ? modules : plugins).push({ name, enabled });
    if (module.type === 'acl-file' && renderAcl) {
      await put('etc/acl.conf', renderAcl(module.config));
      continue;
    }
    const lines = mapping.reverse(module.config);
    if (mapping.source.startsWith('emqx.conf:')) emqxLines.push(...lines);
    else await put(`etc/plugins/${mapping.source}.conf`, renderConf(lines));
  }
  await put('etc/emqx.conf', renderConf(emqxLines));
  const terms = (entries: Array<{ name: string; enabled: boolean }>): string =>
    entries.map((e) => `{${e.name}, ${e.enabled}}.\n`).join('');
  await put('data/loaded_plugins', terms(dedupe(plugins)));
  await put('data/loaded_modules', terms(dedupe(modules)));
  return result;
}

function dedupe(entries: Array<{ name: string; enabled: boolean }>): Array<{ name: string; enabled: boolean }> {
  const byName = new Map<string, boolean>();
  for (const e of entries) byName.set(e.name, (byName.get(e.name) ?? false) || e.enabled);
  return [...byName].map(([name, enabled]) => ({ name, enabled }));
}
