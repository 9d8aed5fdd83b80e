/**
 * EMQX Enterprise 4.x auth modules (`data export` JSON, modules-catalog.md §1.7) -> our auth module
 * configs. An EE module config is a flat JSON object; each key is mapped through a table to a JSON
 * pointer, with a converter because EE stores booleans as strings, durations as text and certificate
 * files as `{filename, file}` objects (content inline).
 */
import { duration, flag } from './codecs.js';
import { hostPort, hostPorts, passwordHash } from './auth-common.js';
import type { ForwardResult, KeyOutcome, LegacyMapping } from './mapping.js';
import type { Location } from '../../src/migrator/legacy-node.js';

type Warn = (message: string) => void;
export type Convert = (value: unknown, warn: Warn) => unknown;

export type EeRule = { pointer: string; convert?: Convert; secret?: boolean } | { drop: string };

export class EnterpriseValueError extends Error {}

const fail = (what: string, value: unknown): never => {
  throw new EnterpriseValueError(`${JSON.stringify(value)} is not ${what}`);
};

export const asString: Convert = (v) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fail('a string', v));
export const asInt: Convert = (v) => {
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : fail('an integer', v);
};
export const asBool: Convert = (v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    try {
      return flag.decode(v);
    } catch {
      /* fall through */
    }
  }
  return fail('a boolean', v);
};
export const asDuration: Convert = (v) => {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return `${v}ms`;
  if (typeof v === 'string') {
    try {
      return duration.decode(v);
    } catch {
      /* fall through */
    }
  }
  return fail('a duration', v);
};
/** A duration given as text (`1s`) or ms, as integer milliseconds (mongo topology options). */
export const asMs: Convert = (v, warn) => {
  const d = asDuration(v, warn) as string;
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(d)!;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
};
export const asPasswordHash: Convert = (v) => (typeof v === 'string' ? passwordHash.decode(v) : fail('a password hash', v));
export const asHostPort = (port: number): Convert => (v) => hostPort(port).decode(String(asString(v, () => {})));
export const asHostPorts = (port: number): Convert => (v) => hostPorts(port).decode(String(asString(v, () => {})));
export const asStringMap: Convert = (v) => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return fail('an object', v);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
};
/** `{filename, file}`: our configs hold paths, so the file must be placed on each node. */
export const asFile: Convert = (v, warn) => {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (!v || typeof v !== 'object') return fail('a file object {filename, file}', v);
  const { filename, file } = v as { filename?: unknown; file?: unknown };
  if (typeof filename !== 'string' || filename === '') return undefined;
  if (typeof file === 'string' && file !== '') warn(`the content of ${filename} is in the export: write it to etc/certs/${filename} on every node`);
  return `etc/certs/${filename}`;
};

function setAt(root: Record<string, unknown>, pointer: string, value: unknown): void {
  const tokens = pointer.split('/').slice(1);
  let node = root;
  tokens.forEach((token, i) => {
    if (i === tokens.length - 1) node[token] = value;
    else node = (node[token] ??= {}) as Record<string, unknown>;
  });
}

/**
 * Builds `fromEnterprise` from a key table. Unknown keys are not-mapped with an `unknown-key`
 * warning; `after` adjusts the config (derived flags, cross-key quirks) with the raw EE config.
 */
export function enterpriseMapper(
  moduleType: string,
  table: Record<string, EeRule>,
  after?: (config: Record<string, unknown>, raw: Record<string, unknown>, result: ForwardResult) => void,
): NonNullable<LegacyMapping['fromEnterprise']> {
  return (raw: Record<string, unknown>, location: Location): ForwardResult => {
    const config: Record<string, unknown> = {};
    const keys: KeyOutcome[] = [];
    const result: ForwardResult = { config, keys, warnings: [] };
    for (const [key, value] of Object.entries(raw)) {
      const rule = table[key];
      const outcome: KeyOutcome = { key, location, class: 'not-mapped' };
      keys.push(outcome);
      if (!rule) {
        outcome.reason = `unknown key for EE ${moduleType} module`;
        result.warnings.push({ code: 'unknown-key', message: `${key} is not a known key of this EE module`, location });
        continue;
      }
      if ('drop' in rule) {
        outcome.reason = rule.drop;
        continue;
      }
      if (rule.secret) outcome.secret = true;
      const warn: Warn = (message) => result.warnings.push({ code: 'enterprise-file', message: `${key}: ${message}`, location });
      try {
        const converted = (rule.convert ?? asString)(value, warn);
        if (converted === undefined) {
          outcome.class = 'defaulted';
          outcome.target = `${moduleType}#${rule.pointer}`;
          continue;
        }
        setAt(config, rule.pointer, converted);
        outcome.class = 'mapped';
        outcome.target = `${moduleType}#${rule.pointer}`;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        outcome.reason = reason;
        result.warnings.push({ code: 'invalid-value', message: `${key}: ${reason}`, location });
      }
    }
    after?.(config, raw, result);
    return result;
  };
}

/** The TLS keys every EE auth module carries. */
export const eeTls: Record<string, EeRule> = {
  ssl: { pointer: '/ssl/enable', convert: asBool },
  verify: { pointer: '/ssl/verify', convert: asBool },
  cacertfile: { pointer: '/ssl/cafile', convert: asFile },
  certfile: { pointer: '/ssl/certfile', convert: asFile },
  keyfile: { pointer: '/ssl/keyfile', convert: asFile },
  server_name_indication: { pointer: '/ssl/server_name_indication', convert: (v) => (v === '' ? undefined : asString(v, () => {})) },
  tls_versions: { pointer: '/ssl/versions', convert: (v) => String(v).split(',').map((s) => s.trim()).filter(Boolean) },
};

export const AUTO_RECONNECT = 'modmq reconnects to backends on its own (always on)';
