import { parsePointer } from './json-pointer.js';
import type { SourcePosition } from './source-map.js';

/**
 * Best-effort: finds the line and column of the key a JSON pointer names in HOCON text. The HOCON
 * parser we use keeps no positions, so this is a small scanner of its own that tracks object and
 * array nesting. It understands path keys (`a.b.c = 1`), nested objects with or without a
 * separator (`a { b { c = 1 } }`, `a = { ... }`, `a : {...}`), quoted keys (`"x.y" = 1`, which is
 * one key), root braces, `#` and `//` comments, quoted and triple-quoted strings, `${...}`
 * substitutions inside values, and array items (counted in order; an object item is located at
 * its `{`). A repeated key is located at its last occurrence (HOCON's "last one wins").
 *
 * Limits: values that come from elsewhere are located at the key that pulls them in (a
 * substitution `a = ${b}`, an `include`, which is not followed); `+=` appends are not counted as
 * array items; keys containing spaces are not supported; a pointer that is not found falls back to
 * its nearest found ancestor, and to 1:1 for the root. A missing property thus lands on its parent
 * object's key, which is what we want for `required` errors.
 */
export function locateHoconPointer(text: string, pointer: string): SourcePosition | undefined {
  let segments: string[];
  try {
    segments = parsePointer(pointer);
  } catch {
    segments = [];
  }
  const index = indexHoconKeys(text);
  for (let n = segments.length; n > 0; n--) {
    const offset = index.get(pathKey(segments.slice(0, n)));
    if (offset !== undefined) return toPosition(text, offset);
  }
  return { line: 1, column: 1 };
}

const pathKey = (path: readonly string[]): string => JSON.stringify(path);

interface Frame {
  kind: 'object' | 'array';
  path: string[];
  index: number;
  braced: boolean;
}

const KEY_STOP = new Set([...' \t\r\n{}[]:=,+#"$`^?!@*&\\'.split('')]);

/** Maps every key path (and array item path) in the text to the offset of its key or item. */
export function indexHoconKeys(text: string): Map<string, number> {
  const found = new Map<string, number>();
  const record = (path: string[], offset: number): void => {
    found.set(pathKey(path), offset);
  };
  const recordPrefix = (path: string[], offset: number): void => {
    if (!found.has(pathKey(path))) found.set(pathKey(path), offset);
  };
  let i = 0;
  const len = text.length;

  const skipComment = (): boolean => {
    if (text[i] === '#' || (text[i] === '/' && text[i + 1] === '/')) {
      while (i < len && text[i] !== '\n') i++;
      return true;
    }
    return false;
  };
  const skipInline = (): void => {
    while (i < len && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r')) i++;
  };
  const skipBlank = (alsoCommas: boolean): void => {
    for (;;) {
      while (i < len && /\s/.test(text[i] as string)) i++;
      if (skipComment()) continue;
      if (alsoCommas && text[i] === ',') {
        i++;
        continue;
      }
      return;
    }
  };
  /** Reads a quoted string starting at i (i at the opening quote); returns its value. */
  const readQuoted = (): string => {
    if (text.startsWith('"""', i)) {
      const end = text.indexOf('"""', i + 3);
      const stop = end < 0 ? len : end;
      const value = text.slice(i + 3, stop);
      i = end < 0 ? len : end + 3;
      while (text[i] === '"') i++; // HOCON allows extra quotes at the end of a triple-quoted string
      return value;
    }
    const start = i;
    i++;
    while (i < len && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
    i = Math.min(i + 1, len);
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return text.slice(start + 1, i - 1);
    }
  };
  const readKey = (): string[] => {
    const segments: string[] = [];
    let current = '';
    let any = false;
    while (i < len) {
      const ch = text[i] as string;
      if (ch === '"') {
        current += readQuoted();
        any = true;
      } else if (ch === '.') {
        segments.push(current);
        current = '';
        any = true;
        i++;
      } else if (!KEY_STOP.has(ch) && !(ch === '/' && text[i + 1] === '/')) {
        current += ch;
        any = true;
        i++;
      } else break;
    }
    if (any) segments.push(current);
    return segments;
  };
  /** Skips a scalar value; stops before a newline, ',', '}', ']' or comment, or on '{'/'[' (returned). */
  const skipValue = (): string | undefined => {
    while (i < len) {
      const ch = text[i] as string;
      if (ch === '\n' || ch === ',' || ch === '}' || ch === ']') return undefined;
      if (ch === '#' || (ch === '/' && text[i + 1] === '/')) return undefined;
      if (ch === '"') {
        readQuoted();
        continue;
      }
      if (ch === '$' && text[i + 1] === '{') {
        const end = text.indexOf('}', i);
        i = end < 0 ? len : end + 1;
        continue;
      }
      if (ch === '{' || ch === '[') return ch;
      i++;
    }
    return undefined;
  };

  const stack: Frame[] = [];
  skipBlank(false);
  if (text[i] === '{') {
    stack.push({ kind: 'object', path: [], index: 0, braced: true });
    i++;
  } else stack.push({ kind: 'object', path: [], index: 0, braced: false });

  const openValue = (path: string[]): void => {
    // i is at the start of a value: open a frame for an object/array, else skip the scalar.
    const ch = text[i] === '{' || text[i] === '[' ? text[i] : skipValue();
    if (ch === '{' || ch === '[') {
      stack.push({ kind: ch === '{' ? 'object' : 'array', path, index: 0, braced: true });
      i++;
    }
  };

  while (i < len) {
    const frame = stack[stack.length - 1];
    if (!frame) break;
    skipBlank(true);
    if (i >= len) break;
    const ch = text[i] as string;
    if ((frame.kind === 'object' && ch === '}') || (frame.kind === 'array' && ch === ']')) {
      i++;
      if (stack.length > 1 || frame.braced) stack.pop();
      if (stack.length === 0) stack.push({ kind: 'object', path: [], index: 0, braced: false });
      continue;
    }
    if (frame.kind === 'array') {
      const itemPath = [...frame.path, String(frame.index++)];
      record(itemPath, i);
      openValue(itemPath);
      continue;
    }
    const keyStart = i;
    const segments = readKey();
    if (segments.length === 0) {
      i++; // a stray character (e.g. a '}' too many): skip it
      continue;
    }
    if (segments.length === 1 && segments[0] === 'include') {
      skipValue();
      continue;
    }
    const path = [...frame.path, ...segments];
    for (let n = frame.path.length + 1; n < path.length; n++) recordPrefix(path.slice(0, n), keyStart);
    record(path, keyStart);
    skipInline();
    if (text.startsWith('+=', i)) i += 2;
    else if (text[i] === ':' || text[i] === '=') i++;
    skipInline();
    openValue(path);
  }
  return found;
}

function toPosition(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text.charCodeAt(k) === 10) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
