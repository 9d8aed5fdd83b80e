/**
 * EMQX 4.x ACL row semantics of the SQL backends (emqx_acl_mysql / emqx_acl_pgsql), also used by
 * Redis and MongoDB (whose rows are all `allow`). A row is `{allow, ipaddr, username, clientid,
 * access, topic}`:
 * - who: `username = '$all'` matches every client; otherwise each non-empty column of ipaddr
 *   (CIDR), username, clientid must match (all of them); a row with all three empty is skipped
 *   (4.x threw `undefined_who` and the check failed).
 * - access 1 subscribe, 2 publish, 3 both; topic `eq <T>` is the literal T; `%u`/`%c` levels.
 * - Order: 4.x compiled the rows into a list in reverse, so the LAST row of the query result is
 *   tried first. Pass `order: 'first-to-last'` for backends that did not (none in 4.x).
 * - A client whose username starts with `$` is never checked (4.x answered ignore without a query).
 */
import type { AclAction, AclDecision, ClientInfo } from '../../broker/hooks.js';
import { compileCidrs } from './ip-match.js';
import { matchAclTopic } from './topic.js';

export interface AclRow {
  allow: boolean;
  /** 1 subscribe, 2 publish, 3 pubsub. */
  access: 1 | 2 | 3;
  /** Topic filter, `eq <topic>` for a literal topic, `%u`/`%c` as whole levels. */
  topic: string;
  ipaddr?: string | null;
  username?: string | null;
  clientid?: string | null;
}

export type AclRowOrder = 'last-to-first' | 'first-to-last';

const IGNORE: AclDecision = { result: 'ignore' };
const ALLOW: AclDecision = { result: 'allow' };

/** Whether a 4.x ACL backend skipped this client altogether (username starting with `$`). */
export function skipsAclBackend(client: ClientInfo): boolean {
  return client.username !== undefined && client.username.startsWith('$');
}

/**
 * Evaluates rows as the 4.x SQL ACL did: the first matching row (in 4.x order: last row first)
 * decides allow/deny; no match (or no rows) -> ignore, so the chain goes on.
 */
export function evaluateAclRows(
  rows: readonly AclRow[],
  client: ClientInfo,
  action: AclAction,
  topic: string,
  order: AclRowOrder = 'last-to-first',
): AclDecision {
  if (rows.length === 0 || skipsAclBackend(client)) return IGNORE;
  const wanted = action === 'subscribe' ? 1 : 2;
  const n = rows.length;
  for (let k = 0; k < n; k++) {
    const row = rows[order === 'last-to-first' ? n - 1 - k : k]!;
    if (row.access !== 3 && row.access !== wanted) continue;
    if (!whoMatches(row, client)) continue;
    if (!topicMatches(row.topic, client, topic)) continue;
    return row.allow ? ALLOW : { result: 'deny', reason: `ACL row ${JSON.stringify(row.topic)}` };
  }
  return IGNORE;
}

/**
 * Parses a raw database row (numbers or strings as drivers return them) into an {@link AclRow};
 * null for a row 4.x could not compile (bad allow/access value).
 */
export function toAclRow(raw: Record<string, unknown>): AclRow | null {
  const allow = Number(raw.allow);
  const access = Number(raw.access);
  if ((allow !== 0 && allow !== 1) || (access !== 1 && access !== 2 && access !== 3)) return null;
  if (typeof raw.topic !== 'string' && !Buffer.isBuffer(raw.topic)) return null;
  const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  return {
    allow: allow === 1,
    access,
    topic: String(raw.topic),
    ipaddr: text(raw.ipaddr),
    username: text(raw.username),
    clientid: text(raw.clientid),
  };
}

const empty = (v: string | null | undefined): v is null | undefined | '' => v === null || v === undefined || v === '';

function whoMatches(row: AclRow, client: ClientInfo): boolean {
  if (row.username === '$all') return true;
  if (empty(row.ipaddr) && empty(row.username) && empty(row.clientid)) return false;
  if (!empty(row.username) && client.username !== row.username) return false;
  if (!empty(row.clientid) && client.clientId !== row.clientid) return false;
  if (!empty(row.ipaddr)) {
    try {
      if (!compileCidrs([row.ipaddr])(client.peerHost)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function topicMatches(pattern: string, client: ClientInfo, topic: string): boolean {
  if (pattern.startsWith('eq ')) return topic === pattern.slice(3);
  return matchAclTopic(pattern, client, topic);
}
