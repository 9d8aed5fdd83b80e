import { invalidConfig, ModmqError } from '../../errors.js';
import type { SchemaCatalog } from '../../schema/catalog.js';
import { childPointer, type Problem } from '../../schema/problem.js';
import type { ClusterDocument, ModuleRecord } from '../../store/cluster-document.js';
import type { ModuleRegistry } from './registry.js';

/** Prefixes problems found inside a value with the pointer of that value. */
export function underPointer(prefix: string, problems: readonly Problem[]): Problem[] {
  return problems.map((p) => ({ ...p, pointer: prefix + p.pointer }));
}

/**
 * Validates one module's config: the type's schema (defaults applied, on a copy), then the
 * implementation's `check()` when it runs that schema version. Returns the config to store,
 * or problems with pointers under `prefix` (the config's own pointer).
 */
export function validateModuleConfig(
  catalog: SchemaCatalog,
  registry: ModuleRegistry,
  type: string,
  version: number,
  config: unknown,
  prefix: string,
): { ok: true; config: Record<string, unknown> } | { ok: false; problems: Problem[] } {
  const result = catalog.validateModuleConfig(type, version, config ?? {});
  if (!result.ok) return { ok: false, problems: underPointer(prefix, result.problems) };
  const value = result.value as Record<string, unknown>;
  const impl = registry.get(type);
  // An older stored version is migrated before it runs; check() speaks only the current shape.
  if (impl?.check && impl.schemaVersion === version) {
    let problems: Problem[];
    try {
      problems = impl.check(value);
    } catch (err) {
      problems = [{ pointer: '', keyword: 'check', message: `check failed: ${(err as Error).message}` }];
    }
    if (problems.length > 0) return { ok: false, problems: underPointer(prefix, problems) };
  }
  return { ok: true, config: value };
}

/** The error for a type that has no schema in the catalog. */
export function unknownType(type: string, pointer: string): ModmqError {
  return new ModmqError(
    'MODMQ_UNKNOWN_MODULE_TYPE',
    `unknown module type ${JSON.stringify(type)}`,
    400,
    [{ pointer, keyword: 'unknown-type', message: `no schema for module type ${JSON.stringify(type)}` }],
    { module: type },
  );
}

/**
 * Rules across the document the schemas cannot state: ids unique, singleton types at most once,
 * every type known. Returns problems with document pointers.
 */
export function documentProblems(catalog: SchemaCatalog, modules: readonly ModuleRecord[]): Problem[] {
  const problems: Problem[] = [];
  const ids = new Set<string>();
  const singletons = new Set<string>();
  modules.forEach((m, i) => {
    const at = childPointer('/modules', i);
    if (ids.has(m.id)) {
      problems.push({ pointer: `${at}/id`, keyword: 'unique-id', message: `module id ${JSON.stringify(m.id)} is used twice` });
    }
    ids.add(m.id);
    const info = catalog.moduleType(m.type);
    if (!info) {
      problems.push({ pointer: `${at}/type`, keyword: 'unknown-type', message: `no schema for module type ${JSON.stringify(m.type)}` });
      return;
    }
    if (info.singleton) {
      if (singletons.has(m.type)) {
        problems.push({
          pointer: `${at}/type`,
          keyword: 'singleton',
          message: `module type ${m.type} allows one module per cluster`,
        });
      }
      singletons.add(m.type);
    }
  });
  return problems;
}

/**
 * Full validation of a whole document (replace, restore): cluster schema, then every module's
 * config, then the document rules. Returns the document to store (defaults applied) or throws 400.
 */
export function validateDocument(catalog: SchemaCatalog, registry: ModuleRegistry, input: unknown): ClusterDocument {
  const result = catalog.validateCluster(input);
  // On a schema failure, still run each module's own checks on the input: report everything at once.
  const doc = structuredClone(result.ok ? result.value : input) as ClusterDocument;
  const problems: Problem[] = result.ok ? [] : [...result.problems];
  const modules: unknown = (doc as Partial<ClusterDocument> | null)?.modules;
  if (Array.isArray(modules)) {
    modules.forEach((m: Partial<ModuleRecord> | null, i) => {
      if (typeof m?.type !== 'string' || typeof m.schemaVersion !== 'number' || !catalog.moduleType(m.type)) return;
      const checked = validateModuleConfig(catalog, registry, m.type, m.schemaVersion, m.config ?? {}, `/modules/${i}/config`);
      if (checked.ok) m.config = checked.config;
      else problems.push(...checked.problems);
    });
    if (result.ok) problems.push(...documentProblems(catalog, doc.modules));
  }
  if (problems.length > 0) throw invalidConfig('invalid cluster document', dedupe(problems));
  return doc;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.pointer}\u0000${p.keyword}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
