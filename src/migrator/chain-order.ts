/**
 * The order of modules in the cluster document, which is the auth and ACL chain order on every node.
 * It reproduces what a 4.x node did:
 * 1. Auth and ACL modules first. Auth plugins hooked `client.authenticate` / `client.check_acl` in
 *    the order they were loaded (data/loaded_plugins order), all at priority 0.
 * 2. `acl.conf` (emqx_mod_acl_internal) hooked `client.check_acl` at priority -1: database/HTTP/JWT
 *    ACLs ran before it, so `acl-file` comes after every auth module.
 * 3. `auth_order` (4.3.22, 4.4.11+) reorders the auth modules it names, in its order, before the
 *    unnamed ones; `acl_order` with `internal` placed before other names moves acl-file before them.
 * 4. Every other module after, in mapping registration order (order does not matter for them).
 */

/** auth_order / acl_order names (plugin short names) -> module type. */
const ORDER_NAMES: Record<string, string> = {
  internal: 'acl-file', file: 'acl-file',
  mnesia: 'auth-builtin-db', username: 'auth-builtin-db', clientid: 'auth-builtin-db', built_in_database: 'auth-builtin-db',
  mysql: 'auth-mysql', pgsql: 'auth-postgresql', postgresql: 'auth-postgresql', redis: 'auth-redis',
  mongo: 'auth-mongodb', mongodb: 'auth-mongodb', ldap: 'auth-ldap', http: 'auth-http', jwt: 'auth-jwt',
};

export function orderNameToType(name: string): string {
  return ORDER_NAMES[name] ?? `auth-${name}`;
}

export interface OrderItem {
  id: string;
  type: string;
  /** Position in loaded_plugins (min over nodes). */
  loadOrder: number;
  /** Position of its mapping in legacyMappings. */
  mappingIndex: number;
  /** First appearance over nodes, for stable ties. */
  firstSeen: number;
}

export const isChainType = (type: string): boolean => type.startsWith('auth-') || type === 'acl-file';

export function orderModules<T extends OrderItem>(items: readonly T[], authOrder?: readonly string[], aclOrder?: readonly string[]): T[] {
  const byTie = (a: T, b: T): number => a.mappingIndex - b.mappingIndex || a.firstSeen - b.firstSeen;
  const authRank = (type: string): number => {
    const i = (authOrder ?? []).map(orderNameToType).indexOf(type);
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  const auth = items.filter((m) => isChainType(m.type) && m.type !== 'acl-file');
  auth.sort((a, b) => cmp(authRank(a.type), authRank(b.type)) || cmp(a.loadOrder, b.loadOrder) || byTie(a, b));
  const aclFiles = items.filter((m) => m.type === 'acl-file');
  const chain: T[] = [...auth];
  // acl_order: `internal` before a name moves acl-file before the first module it precedes.
  const names = (aclOrder ?? []).map(orderNameToType);
  const at = names.indexOf('acl-file');
  let insertAt = chain.length;
  if (at >= 0) {
    const after = new Set(names.slice(at + 1));
    const first = chain.findIndex((m) => after.has(m.type));
    if (first >= 0) insertAt = first;
  }
  chain.splice(insertAt, 0, ...aclFiles);
  const others = items.filter((m) => !isChainType(m.type)).sort(byTie);
  return [...chain, ...others];
}

const cmp = (a: number, b: number): number => (a === b ? 0 : a < b ? -1 : 1);
