/**
 * A reader for env files (Docker `--env-file`, docker-compose `.env`): one `NAME=VALUE` per line,
 * optional `export ` prefix, blank lines and whole-line `#` comments. Values:
 * - unquoted: taken as written up to the end of the line (blanks around it trimmed; a `#` inside is kept,
 *   as `docker --env-file` keeps it);
 * - `'single'`: literal;
 * - `"double"`: `\\`, `\"`, `\n`, `\r`, `\t` escapes (other backslashes stay as written).
 * After a closing quote only blanks or a ` # comment` may follow. A broken line is a problem with its
 * line number; every other line is still read.
 */
import type { LegacyProblem, Location } from '../legacy-node.js';

export interface EnvVar {
  name: string;
  value: string;
  location: Location;
}

export interface EnvFile {
  file: string;
  /** In file order; a name written twice appears twice (the last one wins, like docker). */
  vars: EnvVar[];
  problems: LegacyProblem[];
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n', r: '\r', t: '\t' };

export function parseEnvFile(text: string, file: string): EnvFile {
  const out: EnvFile = { file, vars: [], problems: [] };
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const location = { file, line: i + 1 };
    const problem = (message: string): void => {
      out.problems.push({ code: 'env-syntax', message, location });
    };
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const body = trimmed.replace(/^export[ \t]+/, '');
    const eq = body.indexOf('=');
    if (eq < 0) {
      // `docker run --env-file` would copy NAME from the host's environment, which the migrator cannot see.
      problem(NAME_RE.test(body) ? `${body} has no '=VALUE' (docker would take it from the host environment, which the migrator cannot see)` : `expected NAME=VALUE, got '${trimmed}'`);
      return;
    }
    const name = body.slice(0, eq).trim();
    if (!NAME_RE.test(name)) {
      problem(`'${name}' is not a variable name (letters, digits and _, not starting with a digit)`);
      return;
    }
    const value = parseValue(body.slice(eq + 1).trim());
    if (typeof value !== 'string') {
      problem(`${name}: ${value.error}`);
      return;
    }
    out.vars.push({ name, value, location });
  });
  return out;
}

function parseValue(text: string): string | { error: string } {
  const quote = text[0];
  if (quote !== '"' && quote !== "'") return text;
  let value = '';
  let i = 1;
  for (; i < text.length && text[i] !== quote; i += 1) {
    const c = text[i]!;
    if (quote === '"' && c === '\\' && i + 1 < text.length) {
      const next = text[i + 1]!;
      value += ESCAPES[next] ?? `\\${next}`;
      i += 1;
    } else value += c;
  }
  if (i >= text.length) return { error: `the value opens ${quote} and never closes it (values are one line; use \\n inside "...")` };
  const rest = text.slice(i + 1);
  if (rest.trim() !== '' && !/^[ \t]+#/.test(rest)) return { error: `unexpected text after the closing ${quote}: '${rest.trim()}'` };
  return value;
}

/** Writes variables so that parseEnvFile reads them back unchanged (quotes only where needed). */
export function renderEnvFile(vars: ReadonlyArray<{ name: string; value: string }>): string {
  return vars.map((v) => `${v.name}=${renderValue(v.value)}\n`).join('');
}

function renderValue(value: string): string {
  const plain = value === value.trim() && !/["'\\\n\r]/.test(value[0] ?? '') && !/[\n\r]/.test(value);
  if (plain) return value;
  return `"${value.replace(/[\\"\n\r\t]/g, (c) => `\\${c === '\n' ? 'n' : c === '\r' ? 'r' : c === '\t' ? 't' : c}`)}"`;
}
