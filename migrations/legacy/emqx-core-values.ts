/**
 * Value parsing for the core `emqx.conf` keys (settings and node-local). Kept local to the core
 * mapping: these keys have fixed 4.x datatypes and the translations below are specific to them.
 */

export class CoreValueError extends Error {}

const DURATION_SEGMENT = /(\d*\.?\d+)(f|w|d|h|ms|m|s)/g;
const UNIT_MS: Record<string, number> = { f: 1_209_600_000, w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Cuttlefish `{duration, ms}` ("1m", "1m30s", "500ms"; a bare integer is taken as ms) -> milliseconds. */
export function parseDurationMs(raw: string): number {
  const text = raw.trim().toLowerCase();
  if (/^\d+$/.test(text)) return Number(text);
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(DURATION_SEGMENT)) {
    if (m.index !== consumed) break;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== text.length) throw new CoreValueError(`'${raw}' is not a duration (e.g. 5s, 1m, 500ms)`);
  return Math.ceil(total);
}

/** Milliseconds -> our duration string (schemas/defs/duration.json), largest exact unit. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function parseFlag(raw: string): boolean {
  if (raw === 'on' || raw === 'true') return true;
  if (raw === 'off' || raw === 'false') return false;
  throw new CoreValueError(`'${raw}' is not on/off`);
}

export function parseBoolean(raw: string): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new CoreValueError(`'${raw}' is not true/false`);
}

export function parseInteger(raw: string, min = Number.MIN_SAFE_INTEGER): number {
  if (!/^[+-]?\d+$/.test(raw)) throw new CoreValueError(`'${raw}' is not an integer`);
  const n = Number(raw);
  if (n < min) throw new CoreValueError(`${n} is below the minimum ${min}`);
  return n;
}

export function parseEnum<T extends string>(raw: string, values: readonly T[]): T {
  if ((values as readonly string[]).includes(raw)) return raw as T;
  throw new CoreValueError(`'${raw}' is not one of ${values.join(', ')}`);
}

/** A listener address `[ip:]port` (IPv6 un-bracketed, split at the last ':'). */
export function parseBind(raw: string): { bind?: string; port: number } {
  const text = raw.trim();
  if (/^\d+$/.test(text)) return { port: checkPort(Number(text), raw) };
  const at = text.lastIndexOf(':');
  if (at <= 0) throw new CoreValueError(`'${raw}' is not [ip:]port`);
  const host = text.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = text.slice(at + 1);
  if (!/^\d+$/.test(port)) throw new CoreValueError(`'${raw}' is not [ip:]port`);
  return { bind: host, port: checkPort(Number(port), raw) };
}

function checkPort(port: number, raw: string): number {
  if (port > 65535) throw new CoreValueError(`'${raw}': port out of range`);
  return port;
}

/** cuttlefish log levels -> pino levels (nearest that is at least as verbose). */
export const LOG_LEVELS: Record<string, string> = {
  all: 'trace',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  alert: 'fatal',
  emergency: 'fatal',
};

/** Inverse of LOG_LEVELS for `--reverse`. */
export const LOG_LEVELS_BACK: Record<string, string> = {
  trace: 'all', debug: 'debug', info: 'info', warn: 'warning', error: 'error', fatal: 'critical', silent: 'emergency',
};

/** Legacy duration text from ours ("1m" -> "1m"; "1d" -> "24h": cuttlefish accepts d too, kept). */
export function legacyDuration(value: string): string {
  return value;
}
