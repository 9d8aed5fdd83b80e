import { escapePointerSegment } from './json-pointer.js';

/** Resolves a `$ref` found in the schema with id `baseId` to (schema, its base id), or undefined. */
export type RefResolver = (ref: string, baseId: string) => { schema: unknown; baseId: string } | undefined;

/**
 * Collects the JSON pointers of every `x-secret: true` field reachable from `schema`:
 * `properties/<k>` -> '/k', `items`/`prefixItems`/`additionalProperties`/`patternProperties` -> '/*',
 * `$ref` followed through `resolve` (so `{"$ref": "../../defs/secret.json"}` counts), and the
 * branches of `allOf`/`anyOf`/`oneOf`/`if`/`then`/`else` at the same pointer. Sorted, unique.
 */
export function collectSecretPointers(schema: unknown, baseId: string, resolve: RefResolver): string[] {
  const found = new Set<string>();
  // Schemas on the current walk path: a recursive schema ($ref to an ancestor) stops there.
  const onPath = new Set<object>();
  const walk = (node: unknown, base: string, pointer: string): void => {
    if (!node || typeof node !== 'object' || Array.isArray(node) || onPath.has(node)) return;
    onPath.add(node);
    const s = node as Record<string, unknown>;
    const here = typeof s.$id === 'string' ? new URL(s.$id, base).href : base;
    if (s['x-secret'] === true) found.add(pointer);
    if (typeof s.$ref === 'string') {
      const target = resolve(s.$ref, here);
      if (target) walk(target.schema, target.baseId, pointer);
    }
    if (s.properties && typeof s.properties === 'object') {
      for (const [k, child] of Object.entries(s.properties as Record<string, unknown>)) walk(child, here, `${pointer}/${escapePointerSegment(k)}`);
    }
    for (const kw of ['items', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'contains']) walk(s[kw], here, `${pointer}/*`);
    for (const kw of ['prefixItems']) if (Array.isArray(s[kw])) for (const child of s[kw] as unknown[]) walk(child, here, `${pointer}/*`);
    if (s.patternProperties && typeof s.patternProperties === 'object') {
      for (const child of Object.values(s.patternProperties as Record<string, unknown>)) walk(child, here, `${pointer}/*`);
    }
    for (const kw of ['allOf', 'anyOf', 'oneOf']) if (Array.isArray(s[kw])) for (const child of s[kw] as unknown[]) walk(child, here, pointer);
    for (const kw of ['if', 'then', 'else']) walk(s[kw], here, pointer);
    onPath.delete(node);
  };
  walk(schema, baseId, '');
  return [...found].sort();
}
