/**
 * A small SchemaCatalog for runtime tests, independent of schemas/: each type declares its
 * defaults and a validate function. Mirrors the real catalog's promises: validation returns a
 * copy with defaults applied, unknown type/version is a Problem, validateCluster checks the shape,
 * every module config, unique ids and singletons.
 */
import type { ModuleFamily, ModuleTypeInfo, SchemaCatalog, ValidationResult } from '../../src/schema/catalog.js';
import type { Problem } from '../../src/schema/problem.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';

export interface StubType {
  type: string;
  family?: ModuleFamily;
  singleton?: boolean;
  versions?: number[];
  defaults?: Record<string, unknown>;
  /** Problems for a config (defaults already applied); pointers relative to the config. */
  validate?: (config: Record<string, unknown>) => Problem[];
}

const ID_PATTERN = /^[a-z][a-z0-9-]*(:[A-Za-z0-9_.-]+)?$/;

export function createStubCatalog(types: StubType[]): SchemaCatalog {
  const byType = new Map(types.map((t) => [t.type, t]));
  const info = (t: StubType): ModuleTypeInfo => {
    const versions = t.versions ?? [1];
    return {
      type: t.type,
      family: t.family ?? 'extension',
      title: t.type,
      description: `stub ${t.type}`,
      versions,
      latest: Math.max(...versions),
      singleton: t.singleton ?? true,
    };
  };

  const validateModuleConfig = (type: string, version: number, config: unknown): ValidationResult => {
    const t = byType.get(type);
    if (!t) return fail('', 'unknown-type', `unknown module type ${type}`);
    if (!(t.versions ?? [1]).includes(version)) return fail('', 'schema-version', `no version ${version} of ${type}`);
    if (typeof config !== 'object' || config === null || Array.isArray(config)) return fail('', 'type', 'must be object');
    const value = { ...structuredClone(t.defaults ?? {}), ...structuredClone(config as Record<string, unknown>) };
    const problems = t.validate?.(value) ?? [];
    return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
  };

  const validateCluster = (document: unknown): ValidationResult => {
    if (typeof document !== 'object' || document === null) return fail('', 'type', 'must be object');
    const d = structuredClone(document) as Record<string, unknown>;
    const problems: Problem[] = [];
    if (d.version !== 1) problems.push({ pointer: '/version', keyword: 'const', message: 'must be 1' });
    const settings = { ...structuredClone(DEFAULT_SETTINGS), ...((d.settings as object | undefined) ?? {}) };
    const modules = d.modules ?? [];
    if (!Array.isArray(modules)) return fail('/modules', 'type', 'must be array');
    const ids = new Set<string>();
    const singletons = new Set<string>();
    const out = modules.map((raw: unknown, i: number) => {
      const m: Record<string, unknown> = { enabled: true, config: {}, ...(raw as Record<string, unknown>) };
      const at = `/modules/${i}`;
      if (typeof m.id !== 'string' || !ID_PATTERN.test(m.id)) problems.push({ pointer: `${at}/id`, keyword: 'pattern', message: 'bad id' });
      if (typeof m.type !== 'string') problems.push({ pointer: `${at}/type`, keyword: 'type', message: 'must be string' });
      if (typeof m.schemaVersion !== 'number') problems.push({ pointer: `${at}/schemaVersion`, keyword: 'type', message: 'must be integer' });
      if (ids.has(m.id as string)) problems.push({ pointer: `${at}/id`, keyword: 'unique-id', message: 'duplicate id' });
      ids.add(m.id as string);
      const t = byType.get(m.type as string);
      if (!t) {
        problems.push({ pointer: `${at}/type`, keyword: 'unknown-type', message: 'unknown type' });
        return m;
      }
      if (info(t).singleton) {
        if (singletons.has(t.type)) problems.push({ pointer: `${at}/type`, keyword: 'singleton', message: 'singleton' });
        singletons.add(t.type);
      }
      const r = validateModuleConfig(t.type, m.schemaVersion as number, m.config);
      if (r.ok) m.config = r.value as Record<string, unknown>;
      else problems.push(...r.problems.map((p) => ({ ...p, pointer: `${at}/config${p.pointer}` })));
      return m;
    });
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, value: { version: 1, settings, modules: out } };
  };

  return {
    moduleTypes: () => types.map(info),
    moduleType: (type) => {
      const t = byType.get(type);
      return t ? info(t) : undefined;
    },
    moduleSchema: (type) => (byType.has(type) ? { $id: `stub:${type}` } : undefined),
    clusterSchema: () => ({ $id: 'stub:cluster' }),
    nodeSchema: () => ({ $id: 'stub:node' }),
    validateModuleConfig,
    validateCluster,
    validateNode: (config) => ({ ok: true, value: config }),
    secretPointers: () => [],
  };
}

function fail(pointer: string, keyword: string, message: string): ValidationResult {
  return { ok: false, problems: [{ pointer, keyword, message }] };
}
