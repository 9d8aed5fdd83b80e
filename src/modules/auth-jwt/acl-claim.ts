/**
 * ACL from the token's ACL claim (4.4 emqx_auth_jwt): {pub: [...], sub: [...], all: [...]} topic
 * filters with %u/%c as whole levels (auth-common's ACL topics). Publish: allowed when the topic matches all or pub; subscribe: all or sub;
 * otherwise denied. After exp every request is denied; a token without the claim -> ignore.
 */
import type { AclAction, AclDecision, ClientInfo } from '../../broker/hooks.js';
import { matchAclTopic } from '../auth-common/index.js';

type JsonObject = Record<string, unknown>;

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export function aclFromClaims(
  claims: JsonObject,
  claimName: string,
  client: ClientInfo,
  action: AclAction,
  topic: string,
  nowMs: number,
): AclDecision {
  const acl = claims[claimName];
  if (acl === null || typeof acl !== 'object' || Array.isArray(acl)) return { result: 'ignore' };
  const exp = claims.exp;
  if (typeof exp === 'number' && nowMs >= exp * 1000) return { result: 'deny', reason: 'token expired' };
  const rules = acl as JsonObject;
  const filters = [...strings(rules.all), ...strings(action === 'publish' ? rules.pub : rules.sub)];
  for (const filter of filters) if (matchAclTopic(filter, client, topic)) return { result: 'allow' };
  return { result: 'deny', reason: `no ${claimName} claim entry matches` };
}
