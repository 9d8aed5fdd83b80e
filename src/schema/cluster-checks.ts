import type { Problem } from './problem.js';
import type { ModuleTypeInfo, ValidationResult } from './catalog.js';

/** The part of the catalog the cross-checks need (keeps this file testable with a stub). */
export interface ModuleConfigValidator {
  moduleType(type: string): ModuleTypeInfo | undefined;
  validateModuleConfig(type: string, version: number, config: unknown): ValidationResult;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks a cluster document's module list can express but its JSON Schema cannot: ids unique
 * (`unique-id`), singleton types at most once (`singleton`), the id's `<type>` prefix equal to
 * `type` (`id-type`). Pointers are `<base>/<i>/id`. Items that are not objects are skipped (the
 * schema reports them).
 */
export function crossCheckModules(modules: readonly unknown[], catalog: Pick<ModuleConfigValidator, 'moduleType'>, base = '/modules'): Problem[] {
  const problems: Problem[] = [];
  const firstById = new Map<string, number>();
  const firstByType = new Map<string, number>();
  modules.forEach((record, i) => {
    if (!isObject(record)) return;
    const { id, type } = record;
    const pointer = `${base}/${i}/id`;
    if (typeof id === 'string') {
      const first = firstById.get(id);
      if (first !== undefined) {
        problems.push({ pointer, keyword: 'unique-id', message: `duplicate module id '${id}' (first used at ${base}/${first})` });
      } else firstById.set(id, i);
      if (typeof type === 'string' && id.split(':')[0] !== type) {
        problems.push({ pointer, keyword: 'id-type', message: `module id '${id}' must be '${type}' or start with '${type}:'` });
      }
    }
    if (typeof type === 'string' && catalog.moduleType(type)?.singleton) {
      const first = firstByType.get(type);
      if (first !== undefined) {
        problems.push({ pointer, keyword: 'singleton', message: `module type '${type}' allows one module per cluster (already at ${base}/${first})` });
      } else firstByType.set(type, i);
    }
  });
  return problems;
}

/**
 * Validates every module record's `config` against its type and `schemaVersion`. Problems are
 * prefixed `<base>/<i>/config`; an unknown type is reported at `<base>/<i>/type` (`unknown-type`),
 * an unknown version at `<base>/<i>/schemaVersion` (`unknown-version`). `configs[i]` is the config
 * with defaults applied when it is valid, else undefined.
 */
export function validateModuleRecordConfigs(
  modules: readonly unknown[],
  catalog: ModuleConfigValidator,
  base = '/modules',
): { problems: Problem[]; configs: unknown[] } {
  const problems: Problem[] = [];
  const configs: unknown[] = [];
  modules.forEach((record, i) => {
    configs[i] = undefined;
    if (!isObject(record) || typeof record.type !== 'string') return;
    const at = `${base}/${i}`;
    const info = catalog.moduleType(record.type);
    if (!info) {
      problems.push({ pointer: `${at}/type`, keyword: 'unknown-type', message: `unknown module type '${record.type}'` });
      return;
    }
    const version = record.schemaVersion;
    if (typeof version !== 'number' || !Number.isInteger(version)) return; // the schema reports it
    if (!info.versions.includes(version)) {
      problems.push({
        pointer: `${at}/schemaVersion`,
        keyword: 'unknown-version',
        message: `module type '${record.type}' has no schema version ${version} (available: ${info.versions.join(', ')})`,
      });
      return;
    }
    const config = record.config === undefined ? {} : record.config;
    if (!isObject(config)) return; // the schema reports a non-object config
    const result = catalog.validateModuleConfig(record.type, version, config);
    if (result.ok) configs[i] = result.value;
    else problems.push(...result.problems.map((p) => ({ ...p, pointer: `${at}/config${p.pointer}` })));
  });
  return { problems, configs };
}
