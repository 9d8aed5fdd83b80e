/**
 * Bulk import bodies, all normalised to users and rules:
 * - ours: `{ users: [{username|clientid, password, is_superuser?}], acl: [{username?|clientid?,
 *   topic, action, permission}] }` (passwords in plain text, hashed on insert);
 * - the migrator's `builtin-db-users.json`: `{ version: 1, users: [{login, type?, password,
 *   isSuperuser?}], acl: [{type, typeValue?, topic, action, access}] }` (4.x secrets);
 * - an EMQX 4.x export: the whole object (`auth_mnesia`, `acl_mnesia`) or either array alone.
 * Entries are told apart by their fields, so the shapes may be mixed. Bad entries become problems
 * (with a JSON pointer), never exceptions: the good ones still import.
 */
import type { Problem } from '../../schema/problem.js';
import { decodeExportedPassword } from './secret.js';
import type { AclKind, AclPermission, AclRuleAction, UserKind } from './user-store.js';

export type ImportUser =
  | { kind: UserKind; id: string; password: string; isSuperuser: boolean }
  /** A 4.x secret (salt ++ digest bytes), kept as it is. */
  | { kind: UserKind; id: string; legacySecret: Buffer; isSuperuser: boolean; createdAt?: number };

export interface ImportRule {
  kind: AclKind;
  id: string;
  topic: string;
  actions: AclRuleAction[];
  permission: AclPermission;
  createdAt?: number;
}

export interface ParsedImport {
  users: Array<{ pointer: string; user: ImportUser }>;
  rules: Array<{ pointer: string; rule: ImportRule }>;
  problems: Problem[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const createdAt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

export const ACTIONS: Record<string, AclRuleAction[]> = { pub: ['pub'], sub: ['sub'], pubsub: ['pub', 'sub'] };

/**
 * A rule in our API shape (`username`/`clientid` absent = all; `permission` or 4.x `access`), or
 * a 4.x export row (`type`, `type_value`/`typeValue`, `access`). Throws with a message when invalid.
 */
export function parseRule(v: unknown): ImportRule {
  if (!isObj(v)) throw new Error('an ACL rule is an object');
  const topic = str(v['topic']);
  if (!topic) throw new Error('"topic" must be a non-empty string');
  const action = str(v['action']) ?? '';
  const actions = ACTIONS[action];
  if (!actions) throw new Error('"action" must be pub, sub or pubsub');
  const permission = str(v['permission']) ?? str(v['access']) ?? '';
  if (permission !== 'allow' && permission !== 'deny') throw new Error('"permission" must be allow or deny');
  const at = createdAt(v['created_at'] ?? v['createdAt']);
  const base = { topic, actions, permission: permission as AclPermission, ...(at !== undefined ? { createdAt: at } : {}) };
  const type = str(v['type']);
  if (type !== undefined) {
    if (type === 'all' || type === '$all') return { ...base, kind: 'all', id: '' };
    if (type !== 'username' && type !== 'clientid') throw new Error('"type" must be all, username or clientid');
    const id = str(v['type_value']) ?? str(v['typeValue']) ?? str(v[type]);
    if (!id) throw new Error(`a ${type} rule needs its ${type} ("type_value")`);
    return { ...base, kind: type, id };
  }
  const username = str(v['username']);
  const clientid = str(v['clientid']);
  if (username !== undefined && clientid !== undefined) throw new Error('a rule is for a username or a clientid, not both');
  if (username === '$all') return { ...base, kind: 'all', id: '' };
  if (username !== undefined) {
    if (!username) throw new Error('"username" must not be empty');
    return { ...base, kind: 'username', id: username };
  }
  if (clientid !== undefined) {
    if (!clientid) throw new Error('"clientid" must not be empty');
    return { ...base, kind: 'clientid', id: clientid };
  }
  return { ...base, kind: 'all', id: '' };
}

/** A user in any of the shapes; `defaultKind` types 4.x entries without `type` (4.2 `auth.mnesia.as`). */
export function parseUser(v: unknown, defaultKind: UserKind): ImportUser {
  if (!isObj(v)) throw new Error('a user is an object');
  const superRaw = v['is_superuser'] ?? v['isSuperuser'];
  if (superRaw !== undefined && typeof superRaw !== 'boolean') throw new Error('"is_superuser" must be a boolean');
  const isSuperuser = superRaw === true;
  const password = str(v['password']);
  if (password === undefined) throw new Error('"password" must be a string');
  const login = str(v['login']);
  if (login !== undefined) {
    if (!login) throw new Error('"login" must not be empty');
    const type = str(v['type']) ?? defaultKind;
    if (type !== 'username' && type !== 'clientid') throw new Error('"type" must be username or clientid');
    const at = createdAt(v['created_at'] ?? v['createdAt']);
    return { kind: type, id: login, legacySecret: decodeExportedPassword(password), isSuperuser, ...(at !== undefined ? { createdAt: at } : {}) };
  }
  const username = str(v['username']);
  const clientid = str(v['clientid']);
  if ((username === undefined) === (clientid === undefined)) throw new Error('a user has exactly one of "username" and "clientid"');
  const id = (username ?? clientid)!;
  if (!id) throw new Error('the username/clientid must not be empty');
  return { kind: username !== undefined ? 'username' : 'clientid', id, password, isSuperuser };
}

/** Sorts any accepted body into users and rules. */
export function parseImport(body: unknown, defaultKind: UserKind = 'username'): ParsedImport {
  const out: ParsedImport = { users: [], rules: [], problems: [] };
  const problem = (pointer: string, message: string) => out.problems.push({ pointer, keyword: 'import', message });
  const take = (items: unknown, pointer: string, as: 'user' | 'rule' | 'auto'): void => {
    if (!Array.isArray(items)) {
      problem(pointer, 'must be an array');
      return;
    }
    items.forEach((item, i) => {
      const p = `${pointer}/${i}`;
      const kind = as === 'auto' ? (isObj(item) && 'topic' in item ? 'rule' : 'user') : as;
      try {
        if (kind === 'rule') out.rules.push({ pointer: p, rule: parseRule(item) });
        else out.users.push({ pointer: p, user: parseUser(item, defaultKind) });
      } catch (err) {
        problem(p, (err as Error).message);
      }
    });
  };
  if (Array.isArray(body)) {
    take(body, '', 'auto');
    return out;
  }
  if (!isObj(body)) {
    problem('', 'an import is a JSON object or array');
    return out;
  }
  let found = false;
  for (const [key, as] of [
    ['users', 'user'],
    ['clients', 'user'],
    ['auth_mnesia', 'user'],
    ['acl', 'rule'],
    ['acl_mnesia', 'rule'],
  ] as const) {
    if (body[key] === undefined) continue;
    found = true;
    take(body[key], `/${key}`, as);
  }
  if (!found) problem('', 'nothing to import: expected users, clients, acl, auth_mnesia or acl_mnesia');
  return out;
}
