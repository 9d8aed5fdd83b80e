import path from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { ModuleFamily, ModuleTypeInfo, SchemaCatalog, ValidationResult } from './catalog.js';
import type { Problem } from './problem.js';
import { createAjv } from './ajv.js';
import { DEFAULT_SCHEMAS_DIR, isDirectory, moduleSchemaLocation, readSchemaFiles, type SchemaFile } from './loader.js';
import { shapeErrors } from './error-shaping.js';
import { collectSecretPointers, type RefResolver } from './secret-pointers.js';
import { crossCheckModules, validateModuleRecordConfigs } from './cluster-checks.js';
import { parsePointer } from './json-pointer.js';

export const SCHEMA_BASE_URI = 'https://modmq.dev/schemas/';
export const CLUSTER_SCHEMA_ID = `${SCHEMA_BASE_URI}cluster/v1.json`;
export const NODE_SCHEMA_ID = `${SCHEMA_BASE_URI}node/v1.json`;
const MODULE_RECORD_ID = `${CLUSTER_SCHEMA_ID}#/$defs/module`;
const FAMILIES: readonly ModuleFamily[] = ['auth', 'gateway', 'downlink', 'extension', 'ops', 'internal'];

export interface SchemaCatalogOptions {
  /**
   * Root folder laid out like `schemas/` (default: the repository's). If it has no `defs/`
   * folder, the built-in defs/, cluster/ and node/ schemas are loaded too (never built-in
   * modules/), so a test fixture folder needs only `modules/<type>/v<N>.json`.
   */
  schemasDir?: string;
}

/** The catalog plus what the CLI needs beyond the shared contract. */
export interface LoadedSchemaCatalog extends SchemaCatalog {
  /** Every schema file loaded, with its path relative to its root ('defs/duration.json'). */
  schemaFiles(): SchemaFile[];
  /**
   * Validates a standalone module record `{type, schemaVersion?, config, id?, enabled?, description?}`
   * (what `modmq validate --kind module` reads). A missing schemaVersion means the type's latest.
   * Config problems are prefixed '/config'.
   */
  validateModuleRecord(record: unknown): ValidationResult;
}

/** Loads every schema under the schemas folder once; each is compiled lazily on first use. */
export async function createSchemaCatalog(options: SchemaCatalogOptions = {}): Promise<LoadedSchemaCatalog> {
  const root = path.resolve(options.schemasDir ?? DEFAULT_SCHEMAS_DIR);
  const files = await readSchemaFiles(root);
  if (root !== path.resolve(DEFAULT_SCHEMAS_DIR) && !(await isDirectory(path.join(root, 'defs')))) {
    const builtins = await readSchemaFiles(DEFAULT_SCHEMAS_DIR, (rel) => /^(defs|cluster|node)\//.test(rel));
    const own = new Set(files.map((f) => f.id));
    files.push(...builtins.filter((f) => !own.has(f.id)));
  }
  return new Catalog(files);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

class Catalog implements LoadedSchemaCatalog {
  private readonly ajv = createAjv();
  private readonly byId = new Map<string, SchemaFile>();
  private readonly types = new Map<string, ModuleTypeInfo>();
  private readonly moduleIds = new Map<string, string>(); // 'type@version' -> $id
  private readonly secrets = new Map<string, string[]>();

  constructor(private readonly files: SchemaFile[]) {
    for (const file of files) {
      if (this.byId.has(file.id)) throw new Error(`duplicate schema $id ${file.id} (${file.path})`);
      this.byId.set(file.id, file);
      this.ajv.addSchema(file.schema); // registers by $id; compiled on first getSchema
    }
    const versions = new Map<string, SchemaFile[]>();
    for (const file of files) {
      const loc = moduleSchemaLocation(file.path);
      if (!loc) continue;
      this.moduleIds.set(`${loc.type}@${loc.version}`, file.id);
      versions.set(loc.type, [...(versions.get(loc.type) ?? []), file]);
    }
    for (const [type, list] of versions) {
      const sorted = list.map((f) => ({ f, v: (moduleSchemaLocation(f.path) as { version: number }).version })).sort((a, b) => a.v - b.v);
      const latest = sorted[sorted.length - 1] as { f: SchemaFile; v: number };
      const s = latest.f.schema;
      const family = s['x-family'];
      this.types.set(type, {
        type,
        family: FAMILIES.includes(family as ModuleFamily) ? (family as ModuleFamily) : 'extension',
        title: typeof s.title === 'string' ? s.title : type,
        description: typeof s.description === 'string' ? s.description : '',
        versions: sorted.map((x) => x.v),
        latest: latest.v,
        singleton: s['x-singleton'] !== false,
      });
    }
  }

  schemaFiles(): SchemaFile[] {
    return [...this.files];
  }

  moduleTypes(): ModuleTypeInfo[] {
    return [...this.types.values()].sort((a, b) => a.type.localeCompare(b.type)).map((t) => ({ ...t, versions: [...t.versions] }));
  }

  moduleType(type: string): ModuleTypeInfo | undefined {
    const info = this.types.get(type);
    return info ? { ...info, versions: [...info.versions] } : undefined;
  }

  moduleSchema(type: string, version?: number): object | undefined {
    const v = version ?? this.types.get(type)?.latest;
    const id = v === undefined ? undefined : this.moduleIds.get(`${type}@${v}`);
    return id ? structuredClone(this.byId.get(id)?.schema) : undefined;
  }

  clusterSchema(): object {
    return structuredClone(this.required(CLUSTER_SCHEMA_ID).schema);
  }

  nodeSchema(): object {
    return structuredClone(this.required(NODE_SCHEMA_ID).schema);
  }

  validateModuleConfig(type: string, version: number, config: unknown): ValidationResult {
    const info = this.types.get(type);
    if (!info) return fail({ pointer: '', keyword: 'unknown-type', message: `unknown module type '${type}'` });
    const id = this.moduleIds.get(`${type}@${version}`);
    if (!id) {
      return fail({ pointer: '', keyword: 'unknown-version', message: `module type '${type}' has no schema version ${version} (available: ${info.versions.join(', ')})` });
    }
    return this.run(id, config);
  }

  validateCluster(document: unknown): ValidationResult {
    const result = this.run(CLUSTER_SCHEMA_ID, document);
    const value = result.ok ? result.value : structuredClone(document);
    const problems = result.ok ? [] : [...result.problems];
    if (isObject(value) && Array.isArray(value.modules)) {
      problems.push(...crossCheckModules(value.modules, this));
      const checked = validateModuleRecordConfigs(value.modules, this);
      problems.push(...checked.problems);
      value.modules.forEach((record, i) => {
        if (isObject(record) && checked.configs[i] !== undefined) record.config = checked.configs[i];
      });
    }
    return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
  }

  validateNode(config: unknown): ValidationResult {
    if (!this.byId.has(NODE_SCHEMA_ID)) return fail({ pointer: '', keyword: 'schema-missing', message: 'schemas/node/v1.json is not available' });
    return this.run(NODE_SCHEMA_ID, config);
  }

  validateModuleRecord(record: unknown): ValidationResult {
    if (!isObject(record)) return fail({ pointer: '', keyword: 'type', message: 'must be object' });
    const copy = structuredClone(record);
    const info = typeof copy.type === 'string' ? this.types.get(copy.type) : undefined;
    // A standalone record may omit id and schemaVersion: fill them only to run the record schema.
    const synthesizedId = copy.id === undefined && typeof copy.type === 'string';
    if (synthesizedId) copy.id = copy.type;
    if (copy.schemaVersion === undefined && info) copy.schemaVersion = info.latest;
    const shape = this.run(MODULE_RECORD_ID, copy);
    const value = shape.ok ? (shape.value as Record<string, unknown>) : copy;
    const problems = shape.ok ? [] : [...shape.problems];
    const checked = validateModuleRecordConfigs([value], this, '');
    problems.push(...checked.problems.map((p) => ({ ...p, pointer: p.pointer.replace(/^\/0/, '') })));
    if (checked.configs[0] !== undefined) value.config = checked.configs[0];
    if (synthesizedId) delete value.id;
    return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
  }

  secretPointers(type: string, version: number): string[] {
    const key = `${type}@${version}`;
    const cached = this.secrets.get(key);
    if (cached) return [...cached];
    const id = this.moduleIds.get(key);
    if (!id) return [];
    const pointers = collectSecretPointers(this.byId.get(id)?.schema, id, this.resolveRef);
    this.secrets.set(key, pointers);
    return [...pointers];
  }

  private readonly resolveRef: RefResolver = (ref, baseId) => {
    const url = new URL(ref, baseId);
    const fragment = decodeURIComponent(url.hash.replace(/^#/, ''));
    url.hash = '';
    const doc = this.byId.get(url.href)?.schema;
    if (!doc) return undefined;
    if (fragment === '') return { schema: doc, baseId: url.href };
    if (!fragment.startsWith('/')) return undefined; // named anchors: not used by our schemas
    let node: unknown = doc;
    for (const segment of parsePointer(fragment)) node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
    return node === undefined ? undefined : { schema: node, baseId: url.href };
  };

  private required(id: string): SchemaFile {
    const file = this.byId.get(id);
    if (!file) throw new Error(`schema ${id} is not loaded`);
    return file;
  }

  /** Validates a copy (defaults land in the copy) with the lazily compiled schema `id`. */
  private run(id: string, input: unknown): ValidationResult {
    const validate = this.compiled(id);
    const copy = input === undefined ? undefined : structuredClone(input);
    if (validate(copy)) return { ok: true, value: copy };
    return { ok: false, problems: shapeErrors(validate.errors) };
  }

  private compiled(id: string): ValidateFunction {
    const validate = this.ajv.getSchema(id);
    if (!validate) throw new Error(`schema ${id} is not loaded`);
    return validate;
  }
}

function fail(problem: Problem): ValidationResult {
  return { ok: false, problems: [problem] };
}
