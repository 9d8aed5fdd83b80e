import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Problem } from './problem.js';
import { escapePointerSegment } from './json-pointer.js';

/**
 * Turns ajv's raw errors into Problems a human can act on:
 * - `required` / `dependentRequired` point at the missing property, `additionalProperties` /
 *   `unevaluatedProperties` at the offending one (so source maps land on a real line);
 * - `enum` / `const` messages list the allowed values; `pattern` / `format` failures of a titled
 *   definition (defs/duration.json...) name it and give its examples;
 * - `anyOf` / `oneOf` fan-out is collapsed (see collapseCombinators); `if` wrappers are dropped;
 * - exact duplicates are removed. `prefix` is prepended to every pointer.
 */
export function shapeErrors(errors: readonly ErrorObject[] | null | undefined, prefix = ''): Problem[] {
  if (!errors || errors.length === 0) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const item of collapseCombinators(errors)) {
    const problem = item.problem ?? shapeOne(item.error);
    if (!problem) continue;
    const shaped = { ...problem, pointer: prefix + problem.pointer };
    const key = `${shaped.pointer}\u0000${shaped.keyword}\u0000${shaped.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(shaped);
  }
  return problems;
}

/** An ajv error, or (after collapsing) a combinator error with the Problem that summarizes it. */
interface Item {
  error: ErrorObject;
  problem?: Problem;
}

function shapeOne(error: ErrorObject): Problem | undefined {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  switch (error.keyword) {
    case 'if':
      return undefined; // the failing `then`/`else` errors are reported themselves
    case 'required':
    case 'dependentRequired': {
      const missing = String(params.missingProperty);
      return { pointer: `${at}/${escapePointerSegment(missing)}`, keyword: 'required', message: `must have required property '${missing}'` };
    }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const extra = String(params.additionalProperty ?? params.unevaluatedProperty);
      return { pointer: `${at}/${escapePointerSegment(extra)}`, keyword: error.keyword, message: `must NOT have additional property '${extra}'` };
    }
    case 'enum':
      return { pointer: at, keyword: 'enum', message: `must be equal to one of the allowed values: ${formatValues(params.allowedValues)}` };
    case 'const':
      return { pointer: at, keyword: 'const', message: `must be equal to constant ${formatValue(params.allowedValue)}` };
    case 'pattern':
    case 'format': {
      const named = describeDefinition(error.parentSchema);
      return { pointer: at, keyword: error.keyword, message: named ? `must be ${named}` : (error.message ?? 'is invalid') };
    }
    default:
      return { pointer: at, keyword: error.keyword, message: error.message ?? 'is invalid' };
  }
}

/** "a duration (e.g. "100ms", "5s")" for a schema with a title, else undefined. */
function describeDefinition(schema: unknown): string | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const { title, examples } = schema as { title?: unknown; examples?: unknown };
  if (typeof title !== 'string') return undefined;
  const article = /^[aeiou]/i.test(title) ? 'an' : 'a';
  const sample = Array.isArray(examples) && examples.length > 0 ? ` (e.g. ${examples.slice(0, 3).map((e) => JSON.stringify(e)).join(', ')})` : '';
  return `${article} valid ${title}${sample}`;
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}

function formatValues(values: unknown): string {
  return Array.isArray(values) ? values.map(formatValue).join(', ') : formatValue(values);
}

const SHALLOW_MISMATCH = new Set(['type', 'const', 'enum']);

/**
 * ajv reports a failed `anyOf`/`oneOf` as every branch's errors followed by one summary error.
 * ajv pushes a combinator's branch errors right before its summary, so the branch block is the
 * contiguous run before it whose pointers lie under the combinator's data and whose schema paths
 * lie under the combinator (or came through a `$ref`, whose paths are relative to the referenced
 * schema). Then:
 * - every branch failed right at the value (type/const/enum mismatch) -> one Problem listing what
 *   was expected ("must be string or integer");
 * - otherwise the branches that got past that first check are kept; of those, the one with the
 *   fewest errors is reported (the closest match) and the others are dropped.
 * Inner combinators are collapsed before outer ones. This is a heuristic: a `$ref`-only branch
 * whose errors have no branch index is attributed to the branch before it.
 */
function collapseCombinators(errors: readonly ErrorObject[]): Item[] {
  const items: Item[] = errors.map((error) => ({ error }));
  for (let i = 0; i < items.length; i++) {
    const head = items[i];
    if (!head || head.problem) continue;
    const c = head.error;
    if ((c.keyword !== 'anyOf' && c.keyword !== 'oneOf') || (c.params as { passingSchemas?: unknown }).passingSchemas != null) continue;
    const start = branchBlockStart(items, i, c);
    const block = items.slice(start, i);
    const replacement = collapseBlock(c, block);
    items.splice(start, i - start + 1, ...replacement);
    i = start + replacement.length - 1;
  }
  return items;
}

function branchBlockStart(items: Item[], index: number, c: ErrorObject): number {
  const own = `${c.schemaPath}/`;
  const fileOf = (path: string): string => path.slice(0, Math.max(0, path.indexOf('#')));
  let start = index;
  while (start > 0) {
    const prev = items[start - 1] as Item;
    const ptr = prev.error.instancePath;
    const underData = c.instancePath === '' || ptr === c.instancePath || ptr.startsWith(`${c.instancePath}/`);
    if (!underData) break;
    const path = prev.error.schemaPath;
    const underSchema = path.startsWith(own) || !path.startsWith('#') || path.startsWith('#/$defs/') || fileOf(path) !== fileOf(c.schemaPath);
    if (!underSchema) break;
    start--;
  }
  return start;
}

function branchOf(c: ErrorObject, error: ErrorObject): number | undefined {
  const own = `${c.schemaPath}/`;
  if (!error.schemaPath.startsWith(own)) return undefined;
  const n = Number.parseInt(error.schemaPath.slice(own.length), 10);
  return Number.isNaN(n) ? undefined : n;
}

function collapseBlock(c: ErrorObject, block: Item[]): Item[] {
  const errors = block.map((item) => item.error);
  const shallow = (e: ErrorObject): boolean => e.instancePath === c.instancePath && SHALLOW_MISMATCH.has(e.keyword);
  if (errors.length === 0 || errors.every(shallow)) return [{ error: c, problem: summarize(c, errors) }];

  // Attribute each item to a branch; items without an index follow the previous one.
  const branches = new Map<number, Item[]>();
  let current = 0;
  for (const item of block) {
    current = branchOf(c, item.error) ?? current;
    const list = branches.get(current) ?? [];
    list.push(item);
    branches.set(current, list);
  }
  const rejected = (item: Item): boolean => !item.problem && (shallow(item.error) || item.error.keyword === 'const');
  const candidates = [...branches.values()].filter((list) => !list.some(rejected));
  if (candidates.length === 0) return [{ error: c, problem: summarize(c, errors) }];
  candidates.sort((a, b) => a.length - b.length);
  return candidates[0] as Item[];
}

function summarize(c: ErrorObject, errors: ErrorObject[]): Problem {
  const atValue = errors.filter((e) => e.instancePath === c.instancePath);
  if (atValue.length > 0 && atValue.every((e) => SHALLOW_MISMATCH.has(e.keyword))) {
    // "must be integer or 'auto'": what each branch expected, in branch order.
    const expected = [...new Set(atValue.flatMap((e) => {
      const p = e.params as { type?: unknown; allowedValue?: unknown; allowedValues?: unknown[] };
      if (e.keyword === 'type') return [String(p.type)];
      return (e.keyword === 'const' ? [p.allowedValue] : (p.allowedValues ?? [])).map(formatValue);
    }))];
    const keyword = atValue.every((e) => e.keyword === 'type') ? 'type' : atValue.every((e) => e.keyword !== 'type') ? 'enum' : c.keyword;
    const message = keyword === 'enum' ? `must be equal to one of the allowed values: ${expected.join(', ')}` : `must be ${expected.join(' or ')}`;
    return { pointer: c.instancePath, keyword, message };
  }
  return { pointer: c.instancePath, keyword: c.keyword, message: c.message ?? `must match a schema in ${c.keyword}` };
}
