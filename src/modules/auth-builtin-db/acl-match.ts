/**
 * 4.x emqx_acl_mnesia matching: the rules of the client id, then of the username, then of `all`,
 * each login's rules newest first; the first rule with the action and a matching topic decides.
 * `%c` / `%u` stand for a whole topic level (shared semantics of auth-common's ACL topics).
 */
import type { AclAction, ClientInfo } from '../../broker/hooks.js';
import { matchAclTopic } from '../auth-common/index.js';
import type { AclKind, AclPermission, AclRule } from './user-store.js';

/** The logins whose rules apply to a client, in the order they are tried. */
export function loginsOf(client: Pick<ClientInfo, 'clientId' | 'username'>): Array<[AclKind, string]> {
  const logins: Array<[AclKind, string]> = [['clientid', client.clientId]];
  if (client.username !== undefined) logins.push(['username', client.username]);
  logins.push(['all', '']);
  return logins;
}

/** The permission of the first matching rule, or undefined (no match: the chain goes on). */
export function matchRules(rules: readonly AclRule[], client: ClientInfo, action: AclAction, topic: string): AclPermission | undefined {
  const wanted = action === 'publish' ? 'pub' : 'sub';
  for (const rule of rules) {
    if (rule.action === wanted && matchAclTopic(rule.topic, client, topic)) return rule.permission;
  }
  return undefined;
}
