/**
 * A machine-readable validation problem. Every layer that rejects input (schema validation,
 * a module type's semantic check, the config store's compare-and-set, the node config loader)
 * speaks in Problems, so the API, `modmq validate` and the Dashboard show them the same way.
 */
export interface Problem {
  /** RFC 6901 JSON pointer into the validated value ('' = the value itself). */
  pointer: string;
  /** ajv keyword ('required', 'type', ...) or a semantic check's own keyword ('regex', 'unique-id'). */
  keyword: string;
  message: string;
  /** Where in a source file, when the value came from one (filled by `src/schema/source-map.ts`). */
  file?: string;
  line?: number;
  column?: number;
}

/** Joins a parent pointer and a child key with RFC 6901 escaping. */
export function childPointer(parent: string, key: string | number): string {
  const escaped = String(key).replace(/~/g, '~0').replace(/\//g, '~1');
  return `${parent}/${escaped}`;
}
