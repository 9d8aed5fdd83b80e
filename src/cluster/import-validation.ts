/**
 * The documents `modmq cluster import-from-sqlite` writes go through the validation any config
 * change gets (validateDocument: cluster schema, each module's schema and own check, the document
 * rules), so an import cannot put into Redis what the API would refuse. Problems come back as data,
 * each naming the revision and, when the pointer is inside one, the module's id.
 */
import { ModmqError } from '../errors.js';
import { buildModuleRegistry } from '../modules/index.js';
import type { ModuleRegistry } from '../modules/runtime/registry.js';
import { validateDocument } from '../modules/runtime/module-validation.js';
import { parsePointer } from '../schema/json-pointer.js';
import { createSchemaCatalog } from '../schema/schema-catalog.js';
import type { SchemaCatalog } from '../schema/catalog.js';
import type { ImportProblem } from './import-error.js';

export interface RevisionText {
  revision: number;
  document: string;
}

export interface DocumentValidator {
  /** Problems of one revision; none = it may be imported. */
  problems(row: RevisionText): ImportProblem[];
}

export async function createDocumentValidator(options: { catalog?: SchemaCatalog; registry?: ModuleRegistry } = {}): Promise<DocumentValidator> {
  const catalog = options.catalog ?? (await createSchemaCatalog());
  const registry = options.registry ?? buildModuleRegistry();
  return {
    problems(row) {
      let document: unknown;
      try {
        document = JSON.parse(row.document);
      } catch (error) {
        return [{ revision: row.revision, pointer: '', keyword: 'parse', message: `not valid JSON: ${(error as Error).message}` }];
      }
      try {
        validateDocument(catalog, registry, document);
        return [];
      } catch (error) {
        if (!(error instanceof ModmqError)) throw error;
        return error.problems.map((p) => {
          const module = moduleAt(document, p.pointer);
          return { revision: row.revision, ...(module !== undefined ? { module } : {}), pointer: p.pointer, keyword: p.keyword, message: p.message };
        });
      }
    },
  };
}

/** The id of the module `/modules/<i>/...` points into, if it has one. */
export function moduleAt(document: unknown, pointer: string): string | undefined {
  let segments: string[];
  try {
    segments = parsePointer(pointer);
  } catch {
    return undefined;
  }
  if (segments[0] !== 'modules' || segments[1] === undefined || !/^\d+$/.test(segments[1])) return undefined;
  const modules = (document as { modules?: unknown } | null)?.modules;
  const record = Array.isArray(modules) ? (modules[Number(segments[1])] as { id?: unknown } | undefined) : undefined;
  return typeof record?.id === 'string' ? record.id : undefined;
}
