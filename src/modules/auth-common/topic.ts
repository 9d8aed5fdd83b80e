/**
 * ACL topic patterns: MQTT filters where `%u` / `%c` may stand for a whole level (replaced by the
 * client's username / client id), and `{eq: T}` for the literal text T (4.x `{eq, T}`). A pattern
 * whose placeholder has no value (no username) does not match (4.3+ semantics). A substituted
 * value is compared literally, so a username like `#` or `a/b` cannot widen a rule.
 */
import type { ClientInfo } from '../../broker/hooks.js';
import { matchTopic } from '../../broker/topic.js';

export type AclTopic = string | { filter: string } | { eq: string };

/** Matches one topic (a topic name for publish, a filter for subscribe) for one client. */
export type TopicMatcher = (client: ClientInfo, topic: string) => boolean;

/** Compiles a pattern once; the matcher allocates nothing unless the pattern has a placeholder. */
export function compileAclTopic(pattern: AclTopic): TopicMatcher {
  if (typeof pattern !== 'string' && 'eq' in pattern) {
    const literal = pattern.eq;
    return (_client, topic) => topic === literal;
  }
  const filter = typeof pattern === 'string' ? pattern : pattern.filter;
  const levels = filter.split('/');
  if (!levels.includes('%u') && !levels.includes('%c')) return (_client, topic) => matchTopic(filter, topic);
  return (client, topic) => matchLevels(levels, client, topic);
}

/** Uncompiled form, for one-off checks (ACL rows fetched per request). */
export function matchAclTopic(pattern: AclTopic, client: ClientInfo, topic: string): boolean {
  return compileAclTopic(pattern)(client, topic);
}

function matchLevels(levels: readonly string[], client: ClientInfo, topic: string): boolean {
  const parts = topic.split('/');
  if (parts[0]!.startsWith('$') && (levels[0] === '+' || levels[0] === '#')) return false;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level === '#') return i === levels.length - 1;
    if (i >= parts.length) return false;
    const part = parts[i]!;
    if (level === '+') continue;
    if (level === '%u') {
      if (client.username === undefined || client.username !== part) return false;
    } else if (level === '%c') {
      if (client.clientId !== part) return false;
    } else if (level !== part) {
      return false;
    }
  }
  return parts.length === levels.length;
}
