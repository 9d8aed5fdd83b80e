/**
 * `MODMQ_<PATH>` environment variables as a partial node config, EMQX 5 style: `__` separates
 * levels (`MODMQ_LISTENERS__TCP__PORT=1884` -> listeners.tcp.port = 1884). Only names containing
 * `__` count, so `MODMQ_ADMIN_PASSWORD` or `MODMQ_API_URL` are never read as config.
 */
import { childPointer } from '../schema/problem.js';

const PREFIX = 'MODMQ_';
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export interface EnvConfig {
  value: Record<string, unknown>;
  /** JSON pointer of each value set -> the variable that set it (for error messages). */
  sources: Map<string, string>;
}

/** A value "looks like" a boolean or a number: parse it, else keep the string. */
export function parseEnvValue(raw: string): unknown {
  const v = raw.trim();
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (JSON_NUMBER.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return raw;
}

export function configFromEnv(env: Record<string, string | undefined>): EnvConfig {
  const value: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  // Sorted so a scalar and a deeper path to the same key resolve the same way on every run.
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (raw === undefined || !name.startsWith(PREFIX) || !name.includes('__')) continue;
    const path = name.slice(PREFIX.length).split('__').map((s) => s.toLowerCase());
    if (path.some((s) => s === '')) continue;
    let target = value;
    let pointer = '';
    for (const key of path.slice(0, -1)) {
      pointer = childPointer(pointer, key);
      const next = target[key];
      if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
        target = next as Record<string, unknown>;
      } else {
        const created: Record<string, unknown> = {};
        target[key] = created;
        target = created;
      }
    }
    const last = path[path.length - 1] as string;
    target[last] = parseEnvValue(raw);
    sources.set(childPointer(pointer, last), name);
  }
  return { value, sources };
}
