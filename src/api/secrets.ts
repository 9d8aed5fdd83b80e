import { invalidConfig } from '../errors.js';
import { formatPointer, parsePointer } from '../schema/json-pointer.js';
import type { SchemaCatalog } from '../schema/catalog.js';
import type { Problem } from '../schema/problem.js';
import { REDACTED, redactSecrets } from '../schema/redact.js';
import type { ClusterDocument, ModuleRecord } from '../store/cluster-document.js';

/** x-secret fields of a module's config ('*' segments = any index/key); [] for unknown types. */
export function secretPointersOf(catalog: SchemaCatalog, type: string, schemaVersion: number | undefined): string[] {
  const version = schemaVersion ?? catalog.moduleType(type)?.latest;
  if (version === undefined) return [];
  try {
    return catalog.secretPointers(type, version);
  } catch {
    return [];
  }
}

export function redactRecord(record: ModuleRecord, catalog: SchemaCatalog, reveal: boolean): ModuleRecord {
  if (reveal) return record;
  const pointers = secretPointersOf(catalog, record.type, record.schemaVersion);
  if (pointers.length === 0) return record;
  return { ...record, config: redactSecrets(record.config, pointers) };
}

export function redactDocument(document: ClusterDocument, catalog: SchemaCatalog, reveal: boolean): ClusterDocument {
  if (reveal || !Array.isArray(document?.modules)) return document;
  return { ...document, modules: document.modules.map((m) => redactRecord(m, catalog, false)) };
}

/**
 * Puts the stored value back wherever an incoming config carries "******" at a secret pointer,
 * so a redacted document read from the API can be written back unchanged. A placeholder with no
 * stored value to restore is a 400 (storing the literal "******" would silently lose a secret).
 * Returns a copy and how many values were restored.
 */
export function restoreSecrets(
  incoming: unknown,
  stored: unknown,
  pointers: readonly string[],
  problemPrefix: string,
): { config: unknown; restored: number } {
  if (pointers.length === 0 || incoming === null || typeof incoming !== 'object') return { config: incoming, restored: 0 };
  const copy = structuredClone(incoming);
  const problems: Problem[] = [];
  let restored = 0;
  for (const pointer of pointers) {
    let pattern: string[];
    try {
      pattern = parsePointer(pointer);
    } catch {
      continue;
    }
    for (const path of placeholderPaths(copy, pattern)) {
      const value = valueAt(stored, path);
      if (typeof value === 'string') {
        setAt(copy, path, value);
        restored++;
      } else {
        problems.push({
          pointer: problemPrefix + formatPointer(path),
          keyword: 'x-secret',
          message: `"${REDACTED}" keeps the stored secret, but there is no stored value here`,
        });
      }
    }
  }
  if (problems.length > 0) throw invalidConfig('redacted secret placeholder without a stored value', problems);
  return { config: copy, restored };
}

/** Concrete paths matching `pattern` whose value is the redaction placeholder. */
function placeholderPaths(value: unknown, pattern: string[], depth = 0, prefix: string[] = []): string[][] {
  if (depth === pattern.length) return value === REDACTED ? [prefix] : [];
  if (value === null || typeof value !== 'object') return [];
  const segment = pattern[depth] as string;
  const container = value as Record<string, unknown>;
  const keys = segment === '*' ? Object.keys(container) : Object.hasOwn(container, segment) ? [segment] : [];
  return keys.flatMap((key) => placeholderPaths(container[key], pattern, depth + 1, [...prefix, key]));
}

function valueAt(value: unknown, path: string[]): unknown {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function setAt(value: unknown, path: string[], next: unknown): void {
  const parent = valueAt(value, path.slice(0, -1)) as Record<string, unknown>;
  parent[path[path.length - 1] as string] = next;
}

/** Restores placeholders in every module of an incoming cluster document from the stored one. */
export function restoreDocumentSecrets(
  incoming: unknown,
  stored: ClusterDocument,
  catalog: SchemaCatalog,
): { document: unknown; restored: number } {
  if (incoming === null || typeof incoming !== 'object') return { document: incoming, restored: 0 };
  const modules = (incoming as { modules?: unknown }).modules;
  if (!Array.isArray(modules)) return { document: incoming, restored: 0 };
  let restored = 0;
  const nextModules = modules.map((m: unknown, i) => {
    if (m === null || typeof m !== 'object') return m;
    const record = m as Partial<ModuleRecord>;
    if (typeof record.type !== 'string') return m;
    const pointers = secretPointersOf(catalog, record.type, record.schemaVersion);
    const previous = stored.modules.find((s) => s.id === record.id && s.type === record.type);
    const result = restoreSecrets(record.config, previous?.config, pointers, `/modules/${i}/config`);
    restored += result.restored;
    return result.restored > 0 ? { ...record, config: result.config } : m;
  });
  return { document: { ...(incoming as object), modules: nextModules }, restored };
}
