import { findNodeAtLocation, parseTree, type Node, type ParseError } from 'jsonc-parser';
import { parsePointer } from './json-pointer.js';
import { locateHoconPointer } from './hocon-locator.js';
import type { Problem } from './problem.js';

/** 1-based line and column in a source text. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Converts a 0-based character offset into a 1-based line and column. */
export function offsetToPosition(text: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/**
 * Where `pointer` is in a JSON (or JSONC) text: the position of the property's key when the value
 * is an object member, else of the value itself. A pointer that does not exist (a missing required
 * property) is located at its nearest existing ancestor. Undefined only if the text has no JSON
 * value at all.
 */
export function locateJsonPointer(text: string, pointer: string): SourcePosition | undefined {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (!root) return undefined;
  let segments: string[];
  try {
    segments = parsePointer(pointer);
  } catch {
    segments = [];
  }
  for (let n = segments.length; n >= 0; n--) {
    const path = toPath(root, segments.slice(0, n));
    const node = path && findNodeAtLocation(root, path);
    if (node) return offsetToPosition(text, anchorOffset(node));
  }
  return offsetToPosition(text, root.offset);
}

// jsonc-parser wants numbers for array indexes; walk the tree to know which segments index arrays.
function toPath(root: Node, segments: string[]): (string | number)[] | undefined {
  const path: (string | number)[] = [];
  let node: Node | undefined = root;
  for (const segment of segments) {
    if (!node) return undefined;
    if (node.type === 'array') {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return undefined;
      path.push(Number(segment));
    } else {
      path.push(segment);
    }
    node = findNodeAtLocation(node, [path[path.length - 1] as string | number]);
  }
  return path;
}

function anchorOffset(node: Node): number {
  const parent = node.parent;
  if (parent?.type === 'property' && parent.children?.[1] === node) return parent.children[0]?.offset ?? node.offset;
  return node.offset;
}

/** The first syntax error of a JSON text as a positioned message, or undefined when it parses. */
export function jsonSyntaxError(text: string): (SourcePosition & { message: string }) | undefined {
  const errors: ParseError[] = [];
  parseTree(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return undefined;
  return { ...offsetToPosition(text, first.offset), message: describeParseError(first.error) };
}

const PARSE_ERRORS: Record<number, string> = {
  1: 'invalid symbol',
  2: 'invalid number format',
  3: 'property name expected',
  4: 'value expected',
  5: 'colon expected',
  6: 'comma expected',
  7: 'closing brace expected',
  8: 'closing bracket expected',
  9: 'end of file expected',
  10: 'invalid comment token',
  11: 'unexpected end of comment',
  12: 'unexpected end of string',
  13: 'unexpected end of number',
  14: 'invalid unicode',
  15: 'invalid escape character',
  16: 'invalid character',
};

function describeParseError(code: number): string {
  return PARSE_ERRORS[code] ?? `syntax error (${code})`;
}

/** Fills `line`/`column` (and `file`) of each Problem from the source text it came from. */
export function locateProblems(problems: readonly Problem[], text: string, syntax: 'json' | 'hocon', file?: string): Problem[] {
  return problems.map((problem) => {
    const position = syntax === 'json' ? locateJsonPointer(text, problem.pointer) : locateHoconPointer(text, problem.pointer);
    const located: Problem = { ...problem };
    if (file !== undefined) located.file = file;
    if (position) {
      located.line = position.line;
      located.column = position.column;
    }
    return located;
  });
}
