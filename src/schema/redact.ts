import { parsePointer } from './json-pointer.js';

export const REDACTED = '******';

/**
 * Returns a deep copy of `value` in which every string found at one of `pointers` is replaced by
 * "******". Pointers come from `SchemaCatalog.secretPointers`; a '*' segment matches any array index
 * or object key. Non-string values at a secret pointer (null, numbers) are left as they are, so a
 * redacted document still shows whether a secret was set. The input is never mutated.
 */
export function redactSecrets<T>(value: T, pointers: readonly string[]): T {
  const copy = structuredClone(value);
  for (const pointer of pointers) {
    let segments: string[];
    try {
      segments = parsePointer(pointer);
    } catch {
      continue;
    }
    if (segments.length === 0) {
      if (typeof copy === 'string') return REDACTED as T;
      continue;
    }
    redactAt(copy, segments, 0);
  }
  return copy;
}

function redactAt(node: unknown, segments: string[], depth: number): void {
  if (node === null || typeof node !== 'object') return;
  const segment = segments[depth] as string;
  const last = depth === segments.length - 1;
  const container = node as Record<string, unknown>;
  const keys = segment === '*' ? Object.keys(container) : Object.hasOwn(container, segment) ? [segment] : [];
  for (const key of keys) {
    if (last) {
      if (typeof container[key] === 'string') container[key] = REDACTED;
    } else {
      redactAt(container[key], segments, depth + 1);
    }
  }
}
