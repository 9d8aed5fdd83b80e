/**
 * The module types' own checks (`ModuleType.check`: a regex compiles, a file exists...) for
 * `modmq validate`, so a file that passes CI is not then refused by the node with a 400. Run only
 * on configs their schema accepts (check() expects the schema's shape), and only for types built
 * into this modmq at the version they implement.
 */
import type { SchemaCatalog } from '../schema/catalog.js';
import type { DocumentKind } from '../schema/catalog.js';
import type { Problem } from '../schema/problem.js';
import type { ModuleRegistry } from '../modules/runtime/registry.js';
import { underPointer } from '../modules/runtime/module-validation.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkOne(
  catalog: Pick<SchemaCatalog, 'moduleType' | 'validateModuleConfig'>,
  registry: ModuleRegistry,
  record: Record<string, unknown>,
  prefix: string,
): Problem[] {
  const type = record['type'];
  if (typeof type !== 'string') return [];
  const impl = registry.get(type);
  const info = catalog.moduleType(type);
  if (!impl?.check || !info) return [];
  const version = typeof record['schemaVersion'] === 'number' ? record['schemaVersion'] : info.latest;
  if (version !== impl.schemaVersion) return [];
  const schema = catalog.validateModuleConfig(type, version, record['config'] ?? {});
  if (!schema.ok) return [];
  try {
    return underPointer(prefix, impl.check(schema.value));
  } catch (err) {
    return [{ pointer: prefix, keyword: 'check', message: `check failed: ${(err as Error).message}` }];
  }
}

/** Problems the module types' check() finds in a cluster document or a module record. */
export function semanticProblems(
  catalog: Pick<SchemaCatalog, 'moduleType' | 'validateModuleConfig'>,
  registry: ModuleRegistry,
  kind: DocumentKind,
  value: unknown,
): Problem[] {
  if (!isObject(value)) return [];
  if (kind === 'module') return checkOne(catalog, registry, value, '/config');
  if (kind !== 'cluster' || !Array.isArray(value['modules'])) return [];
  return value['modules'].flatMap((m: unknown, i: number) =>
    isObject(m) ? checkOne(catalog, registry, m, `/modules/${i}/config`) : [],
  );
}
