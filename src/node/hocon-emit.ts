/**
 * Writes a JSON value as EMQX-style HOCON (`cluster.hocon`): the root object's fields at top level,
 * nested objects as `key { ... }` blocks, arrays as `key = [ ... ]` (objects inside on their own lines),
 * two-space indentation. Strings stay unquoted only when that cannot be misread (a plain word that is not
 * a keyword or a number); everything else is a JSON-quoted string, which HOCON reads back identically.
 * Keys are quoted when they contain dots or anything but `[A-Za-z0-9_-]` (a dot would make a path).
 * Law (property-tested): parseHoconText(emitHocon(x)) deep-equals x for objects and arrays.
 */

const KEYWORDS = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'include']);
const SAFE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SAFE_WORD = /^[A-Za-z][A-Za-z0-9_]*$/;

export function hoconKey(key: string): string {
  return SAFE_KEY.test(key) && !KEYWORDS.has(key) ? key : quote(key);
}

function quote(s: string): string {
  // JSON escaping is valid HOCON; also escape U+2028/2029 and lone surrogates stay \u-escaped by JSON.stringify.
  return JSON.stringify(s).replace(/[\u2028\u2029\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null'; // -0 is written as 0
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return SAFE_WORD.test(v) && !KEYWORDS.has(v.toLowerCase()) ? v : quote(v);
  throw new TypeError(`cannot write ${typeof v} as HOCON`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function value(v: unknown, indent: string): string {
  if (Array.isArray(v)) return array(v, indent);
  if (isObject(v)) return block(v, indent);
  return scalar(v);
}

function array(items: unknown[], indent: string): string {
  if (items.length === 0) return '[]';
  const simple = items.every((x) => !isObject(x) && !Array.isArray(x));
  if (simple) {
    const inline = `[${items.map(scalar).join(', ')}]`;
    if (inline.length <= 100) return inline;
  }
  const inner = indent + '  ';
  return `[\n${items.map((x) => inner + value(x, inner)).join(',\n')}\n${indent}]`;
}

function fields(obj: Record<string, unknown>, indent: string): string[] {
  return Object.entries(obj)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (isObject(v) ? `${indent}${hoconKey(k)} ${block(v, indent)}` : `${indent}${hoconKey(k)} = ${value(v, indent)}`));
}

function block(obj: Record<string, unknown>, indent: string): string {
  const lines = fields(obj, indent + '  ');
  return lines.length ? `{\n${lines.join('\n')}\n${indent}}` : '{}';
}

/** HOCON text for an object (fields at top level) or an array. Throws TypeError for other roots. */
export function emitHocon(root: unknown): string {
  if (Array.isArray(root)) return array(root, '') + '\n';
  if (!isObject(root)) throw new TypeError('a HOCON document is an object or an array');
  const lines = fields(root, '');
  return lines.length ? lines.join('\n') + '\n' : '{}\n';
}
