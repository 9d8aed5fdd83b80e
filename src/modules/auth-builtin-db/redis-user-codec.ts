/**
 * How the built-in DB lays users and ACL rules out in Redis (cluster mode). Shared by the store
 * (redis-user-store.ts) and the import of a node's SQLite file (redis-import.ts), so both write
 * exactly what the store reads.
 *
 *   <prefix>users          hash  "<kind>\n<id>" -> JSON user (salt and hash base64)
 *   <prefix>acl:<kind>\n<id>  hash  "<action>\n<topic>" -> "<permission> <createdAt> <order>"
 *   <prefix>logins         set   "<kind>\n<id>" of every login that ever had a rule (listing)
 *   <prefix>order          counter: the insertion order SQLite's rowid gives (ties of createdAt)
 *   <prefix>changed        channel: "<writer token>" after any change
 */
import type { HashAlgorithm } from './secret.js';
import type { AclKind, AclRule, AclRuleAction, StoredUser, UserKind } from './user-store.js';

interface UserJson {
  a: HashAlgorithm;
  s: string;
  h: string;
  su: boolean;
  c: number;
}

export interface BuiltinDbKeys {
  users: string;
  logins: string;
  order: string;
  changed: string;
  /** The hash of one login's rules. */
  acl(kind: AclKind, id: string): string;
}

export function builtinDbKeys(prefix: string): BuiltinDbKeys {
  return {
    users: `${prefix}users`,
    logins: `${prefix}logins`,
    order: `${prefix}order`,
    changed: `${prefix}changed`,
    acl: (kind, id) => `${prefix}acl:${loginKey(kind, id)}`,
  };
}

export const loginKey = (kind: string, id: string): string => `${kind}\n${id}`;

export function splitLogin(member: string): [string, string] {
  const nl = member.indexOf('\n');
  return [member.slice(0, nl), member.slice(nl + 1)];
}

export const ruleField = (action: AclRuleAction, topic: string): string => `${action}\n${topic}`;

/** The value of a rule's field; `order` breaks ties of createdAt (SQLite's rowid). */
export const ruleValue = (rule: Pick<AclRule, 'permission' | 'createdAt'>, order: number): string => `${rule.permission} ${rule.createdAt} ${order}`;

export function encodeUser(u: StoredUser): string {
  const json: UserJson = { a: u.secret.algorithm, s: u.secret.salt.toString('base64'), h: u.secret.hash.toString('base64'), su: u.isSuperuser, c: u.createdAt };
  return JSON.stringify(json);
}

export function decodeUser(kind: UserKind, id: string, text: string): StoredUser {
  const j = JSON.parse(text) as UserJson;
  return { kind, id, secret: { algorithm: j.a, salt: Buffer.from(j.s, 'base64'), hash: Buffer.from(j.h, 'base64') }, isSuperuser: j.su, createdAt: j.c };
}

export interface OrderedRule extends AclRule {
  order: number;
}

/** A login's rules newest first; ties in the order they were written, last first (SQLite rowid DESC). */
export function decodeRules(kind: AclKind, id: string, hash: Record<string, string>): OrderedRule[] {
  const rules: OrderedRule[] = [];
  for (const [field, value] of Object.entries(hash)) {
    const nl = field.indexOf('\n');
    const [permission, createdAt, order] = value.split(' ');
    rules.push({
      kind, id, action: field.slice(0, nl) as AclRuleAction, topic: field.slice(nl + 1),
      permission: permission as 'allow' | 'deny', createdAt: Number(createdAt), order: Number(order),
    });
  }
  return rules.sort((a, b) => b.createdAt - a.createdAt || b.order - a.order);
}
