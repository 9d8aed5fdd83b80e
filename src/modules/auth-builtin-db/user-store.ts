/**
 * Where the built-in DB keeps users and ACL rules: the node's SQLite file (sqlite-user-store.ts),
 * or in cluster mode the cluster's Redis (redis-user-store.ts); hence every method is async.
 */
import type { StoredSecret } from './secret.js';

export type UserKind = 'username' | 'clientid';
/** Who an ACL rule is for: one username, one client id, or everyone (`all`, 4.x `$all`). */
export type AclKind = UserKind | 'all';
/** Stored actions: 4.x splits `pubsub` into one `pub` and one `sub` rule. */
export type AclRuleAction = 'pub' | 'sub';
export type AclPermission = 'allow' | 'deny';

export interface StoredUser {
  kind: UserKind;
  id: string;
  secret: StoredSecret;
  isSuperuser: boolean;
  /** Epoch ms. */
  createdAt: number;
}

export interface AclRule {
  kind: AclKind;
  /** Username or client id; '' for `all`. */
  id: string;
  topic: string;
  action: AclRuleAction;
  permission: AclPermission;
  /** Epoch ms; newer rules of a login are tried first (4.x order). */
  createdAt: number;
}

export interface UserQuery {
  kind?: UserKind;
  /** Substring of the id. */
  like?: string;
  limit: number;
  offset: number;
}

export interface AclQuery {
  kind?: AclKind;
  id?: string;
  limit: number;
  offset: number;
}

export interface UserStore {
  /** Lookups go over the network and may hang (Redis): the module bounds them with a timeout. */
  readonly remote: boolean;
  getUser(kind: UserKind, id: string): Promise<StoredUser | undefined>;
  /** Inserts or replaces; `ifAbsent`: never replaces, resolves false when the user existed. */
  putUser(user: StoredUser, options?: { ifAbsent?: boolean }): Promise<boolean>;
  deleteUser(kind: UserKind, id: string): Promise<boolean>;
  listUsers(query: UserQuery): Promise<{ items: StoredUser[]; total: number }>;
  /** A login's rules, newest first (ties: the order they were added, last first). */
  rulesOf(kind: AclKind, id: string): Promise<AclRule[]>;
  /** Adds a rule; an existing rule of the login with the same action and topic is replaced. */
  putRule(rule: AclRule): Promise<void>;
  /** Removes a login's rules for a topic (one action, or both); resolves to how many went. */
  deleteRules(kind: AclKind, id: string, topic: string, action?: AclRuleAction): Promise<number>;
  listRules(query: AclQuery): Promise<{ items: AclRule[]; total: number }>;
  /** How many (action, topic) rules a login has. */
  countRules(kind: AclKind, id: string): Promise<number>;
  /** Whether the store can be read now (status / degraded). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
