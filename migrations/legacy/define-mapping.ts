/**
 * defineMapping: builds a LegacyMapping from a declarative table of legacy keys -> JSON pointers.
 *
 * Forward: every setting is matched against `fields` (most specific pattern first: fewest `$id`/`$name`),
 * then `nodeLocal`, then `notMapped`; anything else is an unknown key (not-mapped + `unknown-key` warning).
 * A `$id` key level fills an array ordered by ascending numeric id (non-numeric ids after, by string);
 * a `$name` key level fills an object keyed by that word. The i-th placeholder of the key feeds the i-th
 * placeholder (`$id` or `$name`) of the pointer. Absent plain fields whose legacy default differs from the
 * module schema default get the legacy default (a 4.x node without the key ran with it).
 * Reverse: every field present in the config is encoded, in `fields` order; a value equal to the legacy
 * default is omitted only when it is the schema default too; a pointer fed by several keys (old and new
 * spelling) is written once, with the first field.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ConfSetting } from '../../src/migrator/legacy-node.js';
import { CodecError, deepEqual, type Codec } from './codecs.js';
import type { ConfLine, ForwardContext, ForwardResult, KeyOutcome, LegacyMapping } from './mapping.js';

export interface FieldRule {
  /** Legacy key; `$id`/`$name` stand for one key level: `auth.user.$id.username`. */
  key: string;
  /** JSON pointer into the module config (or into `/settings` when moduleType is null); may use `$id`/`$name`. */
  pointer: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  codec: Codec<any>;
  /** The 4.x schema default (raw text), to classify `defaulted` and to fill absent keys. */
  legacyDefault?: string;
  secret?: boolean;
}

/** `key` may end with `*` (prefix match) and may use `$id`/`$name`. */
export interface DropRule {
  key: string;
  reason: string;
}

/** A key that belongs to the node config (`schemas/node/v1.json`); `pointer` is into that document. */
export interface NodeLocalRule {
  key: string;
  pointer: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  codec: Codec<any>;
}

export interface MappingSpec {
  source: string;
  moduleType: string | null;
  loadedAs: string[];
  keyPrefixes?: string[];
  fields: FieldRule[];
  notMapped?: DropRule[];
  nodeLocal?: NodeLocalRule[];
  /** After field decoding: adjust the config (merge legacy quirks); before reverse: the inverse. */
  afterForward?(config: Record<string, unknown>, ctx: ForwardContext, result: ForwardResult): void;
  beforeReverse?(config: Record<string, unknown>): Record<string, unknown>;
  enterpriseTypes?: string[];
  fromEnterprise?: LegacyMapping['fromEnterprise'];
}

// ---- key patterns ------------------------------------------------------------------------------

type Placeholder = '$id' | '$name';
const isPlaceholder = (s: string): s is Placeholder => s === '$id' || s === '$name';

interface Pattern {
  segments: string[];
  /** Kinds of the placeholders, in key order. */
  holes: Placeholder[];
  /** Trailing `*`: the last segment is a prefix of the rest. */
  prefix: boolean;
}

function compilePattern(key: string): Pattern {
  const prefix = key.endsWith('*');
  const segments = (prefix ? key.slice(0, -1) : key).split('.');
  return { segments, holes: segments.filter(isPlaceholder), prefix };
}

/** Captured placeholder values, or undefined when the setting's path does not match. */
function matchPattern(p: Pattern, path: readonly string[]): string[] | undefined {
  if (p.prefix ? path.length < p.segments.length : path.length !== p.segments.length) return undefined;
  const captures: string[] = [];
  for (let i = 0; i < p.segments.length; i++) {
    const seg = p.segments[i]!;
    const actual = path[i]!;
    if (isPlaceholder(seg)) captures.push(actual);
    else if (p.prefix && i === p.segments.length - 1) {
      if (!actual.startsWith(seg)) return undefined;
    } else if (seg !== actual) return undefined;
  }
  return captures;
}

// ---- JSON pointers -----------------------------------------------------------------------------

const unescapeToken = (t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~');
const escapeToken = (t: string) => t.replace(/~/g, '~0').replace(/\//g, '~1');

function pointerTokens(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer.replace(/^\//, '').split('/').map(unescapeToken);
}

const toPointer = (tokens: readonly (string | number)[]) => tokens.map((t) => '/' + escapeToken(String(t))).join('');

/** A resolved pointer token: a property name, or an array index. */
type Step = string | number;

function setAt(root: Record<string, unknown>, steps: readonly Step[], value: unknown): void {
  let node: unknown = root;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    const container = node as Record<string | number, unknown>;
    if (last) {
      container[step] = value;
      return;
    }
    let next = container[step];
    if (typeof next !== 'object' || next === null) {
      next = typeof steps[i + 1] === 'number' ? [] : {};
      container[step] = next;
    }
    node = next;
  }
}

function getAt(root: unknown, steps: readonly Step[]): unknown {
  let node = root;
  for (const step of steps) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}

// ---- schema defaults (read lazily; a schema still being written just means "unknown") --------------

const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/modules/', import.meta.url));
type JsonSchema = Record<string, unknown>;
const schemaCache = new Map<string, JsonSchema | null>();

function moduleSchema(type: string): JsonSchema | null {
  if (!schemaCache.has(type)) {
    try {
      schemaCache.set(type, JSON.parse(readFileSync(`${SCHEMAS_DIR}${type}/v1.json`, 'utf8')) as JsonSchema);
    } catch {
      schemaCache.set(type, null);
    }
  }
  return schemaCache.get(type) ?? null;
}

const NO_DEFAULT = Symbol('no default');

/** The `default` the schema declares at a pointer (walking properties / items / additionalProperties). */
function schemaDefault(schema: JsonSchema | null, steps: readonly Step[]): unknown {
  let node: JsonSchema | undefined = schema ?? undefined;
  let inherited: unknown = NO_DEFAULT;
  for (const step of steps) {
    if (!node) return NO_DEFAULT;
    // a default on a parent object also gives its children a default (`{a: {b: 1}}` -> /a/b = 1)
    inherited = inherited !== NO_DEFAULT ? getAt(inherited, [step]) ?? NO_DEFAULT : NO_DEFAULT;
    const props = node['properties'] as Record<string, JsonSchema> | undefined;
    if (typeof step === 'number') node = node['items'] as JsonSchema | undefined;
    else if (props && step in props) node = props[step];
    else if (typeof node['additionalProperties'] === 'object') node = node['additionalProperties'] as JsonSchema;
    else node = undefined;
    if (node && 'default' in node) inherited = node['default'];
  }
  return inherited;
}

// ---- the mapping -------------------------------------------------------------------------------

interface CompiledField {
  rule: FieldRule;
  pattern: Pattern;
  pointer: string[];
  index: number;
}

interface FieldHit {
  field: CompiledField;
  setting: ConfSetting;
  captures: string[];
  value: unknown;
  outcome: KeyOutcome;
}

function compareIds(a: string, b: string): number {
  const na = /^[0-9]+$/.test(a);
  const nb = /^[0-9]+$/.test(b);
  if (na && nb) return Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Resolves a pointer template with captures; `$id` captures become array indexes via `indexOf`. */
function resolve(
  field: CompiledField,
  captures: readonly string[],
  indexOf: (arrayKey: string, id: string) => number,
): Step[] {
  const steps: Step[] = [];
  const idSteps: string[] = []; // the same path with raw ids, so an array's identity does not depend on indexes
  let hole = 0;
  for (const token of field.pointer) {
    if (!isPlaceholder(token)) {
      steps.push(token);
      idSteps.push(token);
      continue;
    }
    const kind = field.pattern.holes[hole];
    const value = captures[hole] ?? '';
    hole++;
    steps.push(kind === '$id' ? indexOf(JSON.stringify(idSteps), value) : value);
    idSteps.push(value);
  }
  return steps;
}

export function defineMapping(spec: MappingSpec): LegacyMapping {
  const fields: CompiledField[] = spec.fields.map((rule, index) => ({
    rule,
    pattern: compilePattern(rule.key),
    pointer: pointerTokens(rule.pointer),
    index,
  }));
  const bySpecificity = [...fields].sort((a, b) => a.pattern.holes.length - b.pattern.holes.length || a.index - b.index);
  const nodeLocal = (spec.nodeLocal ?? []).map((rule) => ({ rule, pattern: compilePattern(rule.key), pointer: pointerTokens(rule.pointer) }));
  const drops = (spec.notMapped ?? []).map((rule) => ({ rule, pattern: compilePattern(rule.key) }));
  const prefixes = spec.keyPrefixes ?? [];
  const targetOf = (steps: readonly Step[]) => `${spec.moduleType ?? 'settings'}#${toPointer(steps)}`;
  const defaultAt = (steps: readonly Step[]) => (spec.moduleType ? schemaDefault(moduleSchema(spec.moduleType), steps) : NO_DEFAULT);

  const claims = (s: ConfSetting): boolean =>
    prefixes.length === 0 ||
    prefixes.some((p) => s.key.startsWith(p) || s.key === p.replace(/\.$/, '')) ||
    fields.some((f) => matchPattern(f.pattern, s.path)) ||
    nodeLocal.some((n) => matchPattern(n.pattern, s.path)) ||
    drops.some((d) => matchPattern(d.pattern, s.path));

  function forward(settings: readonly ConfSetting[], ctx: ForwardContext): ForwardResult {
    const keys: KeyOutcome[] = [];
    const result: ForwardResult = { keys, warnings: [] };
    const hits: FieldHit[] = [];
    const nodeValues: Record<string, unknown> = {};

    for (const setting of settings) {
      if (!claims(setting)) continue;
      const outcome: KeyOutcome = { key: setting.key, location: setting.location, class: 'not-mapped' };
      keys.push(outcome);
      const field = bySpecificity.map((f) => ({ f, c: matchPattern(f.pattern, setting.path) })).find((x) => x.c);
      if (field) {
        if (field.f.rule.secret) outcome.secret = true;
        try {
          hits.push({ field: field.f, setting, captures: field.c!, value: field.f.rule.codec.decode(setting.value), outcome });
        } catch (err) {
          const reason = err instanceof CodecError ? err.message : `cannot read value: ${String(err)}`;
          outcome.reason = reason;
          result.warnings.push({ code: 'invalid-value', message: `${setting.key}: ${reason}`, location: setting.location });
        }
        continue;
      }
      const local = nodeLocal.map((n) => ({ n, c: matchPattern(n.pattern, setting.path) })).find((x) => x.c);
      if (local) {
        try {
          const value = local.n.rule.codec.decode(setting.value);
          let hole = 0;
          const steps = local.n.pointer.map((t) => (isPlaceholder(t) ? local.c![hole++] ?? '' : t));
          const pointer = toPointer(steps);
          nodeValues[pointer] = value;
          outcome.class = 'node-local';
          outcome.target = `node#${pointer}`;
        } catch (err) {
          const reason = err instanceof CodecError ? err.message : `cannot read value: ${String(err)}`;
          outcome.reason = reason;
          result.warnings.push({ code: 'invalid-value', message: `${setting.key}: ${reason}`, location: setting.location });
        }
        continue;
      }
      const drop = drops.find((d) => matchPattern(d.pattern, setting.path));
      if (drop) {
        outcome.reason = drop.rule.reason;
        continue;
      }
      outcome.reason = `unknown key for ${spec.source}`;
      result.warnings.push({ code: 'unknown-key', message: `${setting.key} is not a known key of ${spec.source}`, location: setting.location });
    }

    // Array indexes: per array (resolved prefix), ids in ascending numeric order.
    const idSets = new Map<string, Set<string>>();
    const collect = (key: string, id: string) => {
      let set = idSets.get(key);
      if (!set) idSets.set(key, (set = new Set()));
      set.add(id);
      return 0;
    };
    for (const hit of hits) resolve(hit.field, hit.captures, collect);
    const indexes = new Map<string, Map<string, number>>();
    for (const [key, ids] of idSets) indexes.set(key, new Map([...ids].sort(compareIds).map((id, i) => [id, i])));
    const indexOf = (key: string, id: string) => indexes.get(key)?.get(id) ?? 0;

    const config: Record<string, unknown> = {};
    const settingsOut: Record<string, unknown> = {};
    // Absent plain fields: the legacy default, where it differs from ours.
    const present = new Set(hits.map((h) => toPointer(resolve(h.field, h.captures, indexOf))));
    const filled = new Set<string>();
    for (const f of fields) {
      if (f.pattern.holes.length || f.rule.legacyDefault === undefined) continue;
      const pointer = toPointer(f.pointer);
      if (present.has(pointer) || filled.has(pointer)) continue;
      filled.add(pointer);
      let value: unknown;
      try {
        value = f.rule.codec.decode(f.rule.legacyDefault);
      } catch {
        continue; // e.g. a legacy default of "" for a typed key: leave ours
      }
      const ours = defaultAt(f.pointer);
      if (ours !== NO_DEFAULT && deepEqual(ours, value)) continue;
      if (spec.moduleType) setAt(config, f.pointer, value);
      else settingsOut[pointer] = value;
    }

    for (const hit of hits) {
      const steps = resolve(hit.field, hit.captures, indexOf);
      const outcome = hit.outcome;
      outcome.target = targetOf(steps);
      const ours = defaultAt(steps);
      const isDefault =
        ours !== NO_DEFAULT
          ? deepEqual(ours, hit.value)
          : hit.field.rule.legacyDefault !== undefined && legacyEquals(hit.field.rule, hit.value);
      outcome.class = isDefault ? 'defaulted' : 'mapped';
      if (spec.moduleType) setAt(config, steps, hit.value);
      else settingsOut[toPointer(steps)] = hit.value;
    }

    if (spec.moduleType) result.config = config;
    if (Object.keys(settingsOut).length) result.settings = settingsOut;
    if (Object.keys(nodeValues).length) result.node = nodeValues;
    spec.afterForward?.(result.config ?? config, ctx, result);
    return result;
  }

  function reverse(input: Record<string, unknown>): ConfLine[] {
    const config = spec.beforeReverse ? spec.beforeReverse(structuredClone(input)) : input;
    const lines: ConfLine[] = [];
    const written = new Set<string>();
    for (const f of fields) {
      for (const { steps, captures } of instances(config, f)) {
        const pointer = toPointer(steps);
        if (written.has(pointer)) continue;
        written.add(pointer);
        const value = getAt(config, steps);
        if (value === undefined) continue;
        if (f.pattern.holes.length === 0 && f.rule.legacyDefault !== undefined && legacyEquals(f.rule, value)) {
          const ours = defaultAt(steps);
          if (ours !== NO_DEFAULT && deepEqual(ours, value)) continue;
        }
        const raw = f.rule.codec.encode(value);
        if (raw === '') continue; // cuttlefish cannot express an empty value: leaving the key out is the only way
        let hole = 0;
        const key = f.pattern.segments.map((s) => (isPlaceholder(s) ? captures[hole++]! : s).replace(/\./g, '\\.')).join('.');
        lines.push({ key, value: raw });
      }
    }
    return lines;
  }

  /** Every concrete pointer of a field in a config, with the key captures (array index -> id index+1). */
  function instances(config: unknown, f: CompiledField): { steps: Step[]; captures: string[] }[] {
    const out: { steps: Step[]; captures: string[] }[] = [];
    const walk = (node: unknown, i: number, steps: Step[], captures: string[]) => {
      if (i === f.pointer.length) {
        out.push({ steps, captures });
        return;
      }
      const token = f.pointer[i]!;
      if (!isPlaceholder(token)) {
        const next = getAt(node, [token]);
        if (next === undefined) return;
        walk(next, i + 1, [...steps, token], captures);
        return;
      }
      const kind = f.pattern.holes[captures.length];
      if (kind === '$id') {
        if (!Array.isArray(node)) return;
        node.forEach((item, idx) => walk(item, i + 1, [...steps, idx], [...captures, String(idx + 1)]));
      } else if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
        for (const [k, v] of Object.entries(node)) walk(v, i + 1, [...steps, k], [...captures, k]);
      }
    };
    walk(config, 0, [], []);
    return out;
  }

  const mapping: LegacyMapping = {
    source: spec.source,
    moduleType: spec.moduleType,
    loadedAs: spec.loadedAs,
    forward,
    reverse,
    ...(spec.keyPrefixes ? { keyPrefixes: spec.keyPrefixes } : {}),
    ...(spec.enterpriseTypes ? { enterpriseTypes: spec.enterpriseTypes } : {}),
    ...(spec.fromEnterprise ? { fromEnterprise: spec.fromEnterprise } : {}),
  };
  return mapping;
}

function legacyEquals(rule: FieldRule, value: unknown): boolean {
  try {
    return deepEqual(rule.codec.decode(rule.legacyDefault!), value);
  } catch {
    return false;
  }
}
