/**
 * Codecs: a codec turns one raw cuttlefish value (the text after `=`, see legacy-formats.md §2.3) into
 * the value of a module config field, and back. `decode` throws a CodecError whose message is the reason
 * shown in the migration report; `encode` must produce text that `decode` reads back to an equal value.
 */

export class CodecError extends Error {
  override name = 'CodecError';
}

export interface Codec<T> {
  /** Short type name for reports (`integer`, `duration`, `enum(a|b)`). */
  readonly name: string;
  /** Raw legacy text -> config value. Throws CodecError when the text is not valid for this type. */
  decode(raw: string): T;
  /** Config value -> raw legacy text (never empty for a value cuttlefish can express). */
  encode(value: T): string;
}

function fail(codec: string, raw: string, why?: string): never {
  throw new CodecError(`${JSON.stringify(raw)} is not a valid ${codec}${why ? `: ${why}` : ''}`);
}

function codec<T>(name: string, decode: (raw: string) => T, encode: (value: T) => string): Codec<T> {
  return { name, decode, encode };
}

/** Any text, as is. */
export const str: Codec<string> = codec('string', (raw) => raw, (v) => String(v));

const INT_RE = /^[+-]?[0-9]+$/;
/** Erlang `list_to_integer`: optional sign and digits, nothing else. */
export const int: Codec<number> = codec(
  'integer',
  (raw) => {
    if (!INT_RE.test(raw)) fail('integer', raw);
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) fail('integer', raw, 'out of range');
    return n === 0 ? 0 : n; // no -0
  },
  (v) => {
    if (!Number.isSafeInteger(v)) throw new CodecError(`${String(v)} is not an integer`);
    return String(v);
  },
);

const FLOAT_RE = /^[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
/** A number; cuttlefish wants `2.0` for floats but we are lenient on reading and always write a dot. */
export const float: Codec<number> = codec(
  'float',
  (raw) => {
    if (!FLOAT_RE.test(raw)) fail('float', raw);
    const n = Number(raw);
    if (!Number.isFinite(n)) fail('float', raw, 'out of range');
    return n === 0 ? 0 : n;
  },
  (v) => {
    if (!Number.isFinite(v)) throw new CodecError(`${String(v)} is not a finite number`);
    const s = String(v);
    return /[.eE]/.test(s) ? s : `${s}.0`;
  },
);

/** Cuttlefish `flag`: `on`/`off`; `true`/`false` are accepted too (several keys allow both). Writes on/off. */
export const flag: Codec<boolean> = codec(
  'flag (on|off)',
  (raw) => {
    if (raw === 'on' || raw === 'true') return true;
    if (raw === 'off' || raw === 'false') return false;
    return fail('flag', raw, 'expected on or off');
  },
  (v) => (v ? 'on' : 'off'),
);

/** `{enum, [true, false]}` keys: exactly `true`/`false`. */
export const bool: Codec<boolean> = codec(
  'boolean (true|false)',
  (raw) => {
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    return fail('boolean', raw, 'expected true or false');
  },
  (v) => (v ? 'true' : 'false'),
);

// ---- durations ---------------------------------------------------------------------------------

const UNIT_MS: Record<string, number> = { f: 1_209_600_000, w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
/** Our duration units (schemas/defs/duration.json), largest first. */
const OUR_UNITS: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
const OUR_DURATION_RE = /^[0-9]+(ms|s|m|h|d)$/;
const SEGMENT_RE = /([0-9]*\.?[0-9]+)(ms|f|w|d|h|m|s)/gy;

/**
 * Parses a cuttlefish duration (`5s`, `1m30s`, `1.5m`, `.5h`, `500ms`, case-insensitive) to milliseconds,
 * rounded up. `0s` is accepted (cuttlefish 3.3.6, EMQX 4.3.8+). A bare number is not a duration.
 */
export function parseLegacyDuration(raw: string): number {
  const text = raw.toLowerCase();
  if (text === '') fail('duration', raw);
  let total = 0;
  let pos = 0;
  SEGMENT_RE.lastIndex = 0;
  while (pos < text.length) {
    SEGMENT_RE.lastIndex = pos;
    const m = SEGMENT_RE.exec(text);
    if (!m) fail('duration', raw, 'expected segments like 5s, 1m30s, 500ms (units f w d h m s ms)');
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    pos = SEGMENT_RE.lastIndex;
  }
  if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) fail('duration', raw, 'out of range');
  return Math.ceil(total);
}

/** Milliseconds -> our duration string in the largest unit that divides exactly (`90000` -> `90s`). */
export function formatDurationMs(ms: number): string {
  for (const [unit, size] of OUR_UNITS) if (ms % size === 0 && ms !== 0) return `${ms / size}${unit}`;
  return `${ms}ms`.replace(/^0ms$/, '0s');
}

function durationToMs(value: string): number {
  const m = OUR_DURATION_RE.exec(value);
  if (!m) throw new CodecError(`${JSON.stringify(value)} is not a duration like 5s`);
  return parseLegacyDuration(value);
}

/**
 * Cuttlefish duration -> our duration string. A value already in our form (`5s`, `60s`) is kept as
 * written; other forms (`1m30s`, `1.5m`, `5S`) are normalised (`90s`). Writes our form (cuttlefish reads it).
 */
export const duration: Codec<string> = codec(
  'duration',
  (raw) => (OUR_DURATION_RE.test(raw) ? raw : formatDurationMs(parseLegacyDuration(raw))),
  (v) => {
    durationToMs(v);
    return v;
  },
);

/**
 * Duration in milliseconds. A bare integer is read as milliseconds (the common `[integer, {duration, ms}]`
 * datatype; `retainer.expiry_interval = 30` is 30 ms). Writes the largest exact unit (`5s`).
 */
export const durationMs: Codec<number> = codec(
  'duration',
  (raw) => (INT_RE.test(raw) && !raw.startsWith('-') ? int.decode(raw) : parseLegacyDuration(raw)),
  (v) => {
    if (!Number.isSafeInteger(v) || v < 0) throw new CodecError(`${String(v)} is not a duration in ms`);
    return v === 0 ? '0' : formatDurationMs(v);
  },
);

/**
 * Our duration string for `[integer, {duration, Unit}]` keys: a bare integer counts in `unit`
 * (`30` with unit `s` -> `30s`). Writes our form.
 */
export function durationIn(unit: 'ms' | 's' | 'm' | 'h' | 'd'): Codec<string> {
  return codec(
    `duration (bare numbers in ${unit})`,
    (raw) => (INT_RE.test(raw) && !raw.startsWith('-') ? `${int.decode(raw)}${unit}` : duration.decode(raw)),
    duration.encode,
  );
}

// ---- byte sizes --------------------------------------------------------------------------------

const BYTES: Record<string, number> = { '': 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const OUR_BYTES: [string, number][] = [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024], ['B', 1]];
const LEGACY_BYTES_RE = /^([0-9]*\.?[0-9]+)(KB|kb|MB|mb|GB|gb)?$/;
const OUR_BYTES_RE = /^([0-9]+)(B|KB|MB|GB)$/;

/** Parses a cuttlefish bytesize (`1MB`, `64kb`, `1.5MB`, `1024`) to bytes (rounded up). `Kb`, `B`, `TB` are errors. */
export function parseLegacyBytesize(raw: string): number {
  const m = LEGACY_BYTES_RE.exec(raw);
  if (!m) fail('byte size', raw, 'expected a number optionally followed by KB, MB or GB');
  const n = Math.ceil(Number(m[1]) * BYTES[(m[2] ?? '').toLowerCase()]!);
  if (!Number.isSafeInteger(n)) fail('byte size', raw, 'out of range');
  return n;
}

function formatBytes(n: number): string {
  for (const [unit, size] of OUR_BYTES) if (n !== 0 && n % size === 0) return `${n / size}${unit}`;
  return `${n}B`;
}

/** Cuttlefish bytesize -> our bytesize string (`1MB`, `64KB`, `1024` -> `1024B`). Writes `1MB`, `64KB`, or bare bytes. */
export const bytesize: Codec<string> = codec(
  'byte size',
  (raw) => {
    const m = LEGACY_BYTES_RE.exec(raw);
    if (m && m[2] && /^[0-9]+$/.test(m[1]!)) return `${Number(m[1])}${m[2].toUpperCase()}`;
    if (m && !m[2] && /^[0-9]+$/.test(m[1]!)) return `${Number(m[1])}B`;
    return formatBytes(parseLegacyBytesize(raw));
  },
  (v) => {
    const m = OUR_BYTES_RE.exec(v);
    if (!m) throw new CodecError(`${JSON.stringify(v)} is not a byte size like 1MB`);
    return m[2] === 'B' ? String(Number(m[1])) : `${Number(m[1])}${m[2]}`;
  },
);

// ---- combinators -------------------------------------------------------------------------------

/** Exactly one of the names (case-sensitive, like cuttlefish `{enum, [...]}`). */
export function enumOf<T extends string>(...values: T[]): Codec<T> {
  const name = `enum(${values.join('|')})`;
  return codec(
    name,
    (raw) => {
      if ((values as string[]).includes(raw)) return raw as T;
      return fail(name, raw, `expected one of ${values.join(', ')}`);
    },
    (v) => {
      if (!(values as string[]).includes(v)) throw new CodecError(`${JSON.stringify(v)} is not one of ${values.join(', ')}`);
      return v;
    },
  );
}

/** A separated list (`"a,b, c"`): items are trimmed, empty items dropped. Writes `a,b,c` (no spaces). */
export function list<T>(item: Codec<T>, separator = ','): Codec<T[]> {
  return codec(
    `list of ${item.name}`,
    (raw) =>
      raw
        .split(separator)
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((s) => item.decode(s)),
    (values) => values.map((v) => item.encode(v)).join(separator),
  );
}

/** A legacy word -> our value table (`{ username: 'username', clientid: 'clientid' }`), and back. */
export function mapped<T>(table: Record<string, T>): Codec<T> {
  const words = Object.keys(table);
  const name = `one of ${words.join('|')}`;
  return codec(
    name,
    (raw) => {
      if (Object.prototype.hasOwnProperty.call(table, raw)) return table[raw]!;
      return fail(name, raw, `expected one of ${words.join(', ')}`);
    },
    (v) => {
      const word = words.find((w) => deepEqual(table[w], v));
      if (word === undefined) throw new CodecError(`${JSON.stringify(v)} has no legacy equivalent`);
      return word;
    },
  );
}

/** Structural equality for JSON-like values (used by mapped() and define-mapping). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
