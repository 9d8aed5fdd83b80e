import type { Problem } from './problem.js';

/** What a module type's JSON Schema declares about itself (top-level `x-*` keywords and `title`). */
export interface ModuleTypeInfo {
  type: string;
  family: ModuleFamily;
  title: string;
  description: string;
  /** Every schema version present in `schemas/modules/<type>/`, ascending. */
  versions: number[];
  latest: number;
  /** `x-singleton` (default true): at most one module of this type in a cluster document. */
  singleton: boolean;
}

export type ModuleFamily = 'auth' | 'gateway' | 'downlink' | 'extension' | 'ops' | 'internal';

/** The kinds of document `modmq validate` recognises. */
export type DocumentKind = 'cluster' | 'node' | 'module';

/**
 * Read-only view of `schemas/`: compiled once per (type, version), shared by the broker, the API,
 * the CLI and the migrator. Validation applies schema defaults (`useDefaults`) to a **copy** and
 * returns it, so callers store exactly what will run.
 */
export interface SchemaCatalog {
  moduleTypes(): ModuleTypeInfo[];
  moduleType(type: string): ModuleTypeInfo | undefined;
  /** The raw JSON Schema document (with `$id`), for the API, OpenAPI and `modmq schema show`. */
  moduleSchema(type: string, version?: number): object | undefined;
  clusterSchema(): object;
  nodeSchema(): object;
  /** Validates one module config. Unknown type or version is a Problem, never a throw. */
  validateModuleConfig(type: string, version: number, config: unknown): ValidationResult;
  validateCluster(document: unknown): ValidationResult;
  validateNode(config: unknown): ValidationResult;
  /** JSON pointers of fields marked `x-secret` in a module's schema, for redaction ('*' = any array index / map key). */
  secretPointers(type: string, version: number): string[];
}

export type ValidationResult =
  | { ok: true; value: unknown }
  | { ok: false; problems: Problem[] };
