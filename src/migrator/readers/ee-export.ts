/**
 * EMQX Enterprise 4.x `emqx_ctl data export` JSON (modules-catalog.md §1.2): the parts the migrator
 * uses (modules, auth_mnesia, acl_mnesia, configs) typed, with the line of every entry; the rest kept raw.
 * `created_at` comes in three shapes across versions ("undefined", epoch ms, {created_at_ns, ...}):
 * all become epoch milliseconds or undefined. Never throws: bad JSON and bad entries are problems.
 */
import { getNodeValue, parseTree, type Node, type ParseError } from 'jsonc-parser';
import type { LegacyProblem, Location } from '../legacy-node.js';

export interface EeModule {
  id: string;
  type: string;
  enabled: boolean;
  config: Record<string, unknown>;
  /** Epoch milliseconds, when the export has it. */
  createdAt?: number;
  /** `""` or the English text of an i18n description. */
  description: string;
  location: Location;
}

export interface EeAuthUser {
  login: string;
  /** `username` | `clientid`; absent in pre-4.3 exports (then `auth.mnesia.as` decides). */
  type?: string;
  /** As stored: hashed with the module's password_hash (base64 of salt+hash in 4.3+). */
  password: string;
  isSuperuser?: boolean;
  createdAt?: number;
  location: Location;
}

export interface EeAclEntry {
  /** `all` | `username` | `clientid`. */
  type: string;
  typeValue?: string;
  topic: string;
  action: string;
  access: string;
  createdAt?: number;
  location: Location;
}

export interface EeConfigSection {
  name: string;
  confs: Record<string, unknown>;
  location: Location;
}

export interface EeExport {
  file: string;
  /** `4.2` | `4.3` | `4.4` (major.minor only). */
  version?: string;
  date?: string;
  modules: EeModule[];
  authMnesia: EeAuthUser[];
  aclMnesia: EeAclEntry[];
  configs: EeConfigSection[];
  /** Every other top-level key (rules, resources, blacklist, apps, users, schemas, ...), as is. */
  other: Record<string, unknown>;
  problems: LegacyProblem[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Epoch ms from any of the three created_at shapes. */
export function createdAtMs(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (isObject(v)) {
    const ns = v['created_at_ns'] ?? v['updated_at_ns'];
    if (typeof ns === 'number' && Number.isFinite(ns)) return Math.floor(ns / 1e6);
  }
  return undefined;
}

export function parseEeExport(text: string, file: string): EeExport {
  const out: EeExport = { file, modules: [], authMnesia: [], aclMnesia: [], configs: [], other: {}, problems: [] };
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const loc = (node: Node | undefined): Location => ({ file, line: node ? lineOf(node.offset) : 1 });
  const problem = (code: string, message: string, node?: Node) => out.problems.push({ code, message, location: loc(node) });

  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length) {
    problem('ee-json', `invalid JSON at line ${lineOf(errors[0]!.offset)} (error code ${errors[0]!.error})`, { offset: errors[0]!.offset } as Node);
  }
  if (!root || root.type !== 'object') {
    if (!errors.length) problem('ee-json', 'an export is a JSON object');
    return out;
  }

  for (const prop of root.children ?? []) {
    const [keyNode, valueNode] = prop.children ?? [];
    if (!keyNode || !valueNode) continue;
    const key = String(keyNode.value);
    const value: unknown = plain(getNodeValue(valueNode));
    const items = valueNode.type === 'array' ? (valueNode.children ?? []) : undefined;
    const needArray = () => {
      if (!items) problem('ee-invalid-entry', `"${key}" must be an array`, valueNode);
      return items ?? [];
    };
    switch (key) {
      case 'version':
        if (typeof value === 'string') out.version = value;
        break;
      case 'date':
        if (typeof value === 'string') out.date = value;
        break;
      case 'modules':
        for (const n of needArray()) {
          const m: unknown = plain(getNodeValue(n));
          if (!isObject(m) || typeof m['type'] !== 'string' || !isObject(m['config'])) {
            problem('ee-invalid-entry', 'a module needs a string "type" and an object "config"', n);
            continue;
          }
          const description = typeof m['description'] === 'string' ? m['description'] : isObject(m['description']) && typeof m['description']['en'] === 'string' ? m['description']['en'] : '';
          const createdAt = createdAtMs(m['created_at']);
          out.modules.push({
            id: typeof m['id'] === 'string' ? m['id'] : `module:${m['type']}`,
            type: m['type'],
            enabled: m['enabled'] !== false,
            config: m['config'],
            description,
            location: loc(n),
            ...(createdAt !== undefined ? { createdAt } : {}),
          });
        }
        break;
      case 'auth_mnesia':
        for (const n of needArray()) {
          const u: unknown = plain(getNodeValue(n));
          if (!isObject(u) || typeof u['login'] !== 'string' || typeof u['password'] !== 'string') {
            problem('ee-invalid-entry', 'an auth_mnesia entry needs string "login" and "password"', n);
            continue;
          }
          const createdAt = createdAtMs(u['created_at']);
          out.authMnesia.push({
            login: u['login'],
            password: u['password'],
            location: loc(n),
            ...(typeof u['type'] === 'string' ? { type: u['type'] } : {}),
            ...(typeof u['is_superuser'] === 'boolean' ? { isSuperuser: u['is_superuser'] } : {}),
            ...(createdAt !== undefined ? { createdAt } : {}),
          });
        }
        break;
      case 'acl_mnesia':
        for (const n of needArray()) {
          const a: unknown = plain(getNodeValue(n));
          if (!isObject(a) || typeof a['topic'] !== 'string' || typeof a['action'] !== 'string' || typeof a['access'] !== 'string') {
            problem('ee-invalid-entry', 'an acl_mnesia entry needs string "topic", "action" and "access"', n);
            continue;
          }
          const createdAt = createdAtMs(a['created_at']);
          out.aclMnesia.push({
            type: typeof a['type'] === 'string' ? a['type'] : 'all',
            topic: a['topic'],
            action: a['action'],
            access: a['access'],
            location: loc(n),
            ...(typeof a['type_value'] === 'string' ? { typeValue: a['type_value'] } : {}),
            ...(createdAt !== undefined ? { createdAt } : {}),
          });
        }
        break;
      case 'configs':
        for (const n of needArray()) {
          const c: unknown = plain(getNodeValue(n));
          if (!isObject(c) || typeof c['name'] !== 'string' || !isObject(c['confs'])) {
            problem('ee-invalid-entry', 'a configs entry needs a string "name" and an object "confs"', n);
            continue;
          }
          out.configs.push({ name: c['name'], confs: c['confs'], location: loc(n) });
        }
        break;
      default:
        out.other[key] = value;
    }
  }
  return out;
}

/** jsonc-parser builds null-prototype objects; callers expect plain JSON values. */
function plain(v: unknown): unknown {
  return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
}
