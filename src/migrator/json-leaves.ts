/** JSON helpers for merging: leaves by pointer (arrays are one leaf), equality, pointer writes. */

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export const escapeToken = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');
export const unescapeToken = (token: string): string => token.replace(/~1/g, '/').replace(/~0/g, '~');

/** Every leaf (non-object value, array or empty object) by JSON pointer. */
export function flattenLeaves(value: unknown, base = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, pointer: string): void => {
    if (isObject(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) walk(child, `${pointer}/${escapeToken(k)}`);
    } else {
      out.set(pointer, v);
    }
  };
  walk(value, base);
  return out;
}

/** Structural equality of JSON values (object key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

/** Writes `value` at `pointer`, creating objects on the way; undefined deletes the leaf. */
export function setPointer(target: Record<string, unknown>, pointer: string, value: unknown): void {
  const tokens = pointer.split('/').slice(1).map(unescapeToken);
  const last = tokens.pop();
  if (last === undefined) return;
  let at: Record<string, unknown> = target;
  for (const token of tokens) {
    const next = at[token];
    if (!isObject(next)) at[token] = {};
    at = at[token] as Record<string, unknown>;
  }
  if (value === undefined) delete at[last];
  else at[last] = structuredClone(value);
}

/** Reads the value at `pointer`, or undefined. */
export function getPointer(source: unknown, pointer: string): unknown {
  let at: unknown = source;
  for (const token of pointer.split('/').slice(1).map(unescapeToken)) {
    if (Array.isArray(at)) at = at[Number(token)];
    else if (isObject(at)) at = at[token];
    else return undefined;
  }
  return at;
}
