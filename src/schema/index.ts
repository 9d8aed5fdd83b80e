// The schema layer's public surface: what the broker, API, CLI and migrator import.
export { createSchemaCatalog, CLUSTER_SCHEMA_ID, NODE_SCHEMA_ID, type LoadedSchemaCatalog } from './schema-catalog.js';
export { redactSecrets, REDACTED } from './redact.js';
export type { SchemaCatalog, ModuleTypeInfo, ModuleFamily, ValidationResult } from './catalog.js';
export type { Problem } from './problem.js';
