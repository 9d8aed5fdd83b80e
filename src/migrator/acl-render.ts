/**
 * acl-file module config -> etc/acl.conf (Erlang terms), for `--reverse`. Follows
 * schemas/modules/acl-file/v1.json: {permission, who, access, topics?}; a rule without topics is
 * the 2-tuple `{allow, all}` form only when who is all and access pubsub, else every topic `#`.
 */
import type { LegacyMapping } from '../../migrations/legacy/mapping.js';
import type { AclRenderer } from './reverse.js';

type Json = Record<string, unknown>;

const erlString = (s: unknown): string => `"${String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function who(w: Json): string {
  switch (w['kind']) {
    case 'all':
      return 'all';
    case 'user':
    case 'client':
      return `{${String(w['kind'])}, ${w['all'] === true ? 'all' : erlString(w['value'])}}`;
    case 'ipaddr':
      return `{ipaddr, ${erlString(w['cidr'])}}`;
    case 'ipaddrs':
      return `{ipaddrs, [${((w['cidrs'] as unknown[]) ?? []).map(erlString).join(', ')}]}`;
    case 'and':
    case 'or':
      return `{'${String(w['kind'])}', [${((w['of'] as Json[]) ?? []).map(who).join(', ')}]}`;
    default:
      throw new Error(`acl-file: unknown who kind ${JSON.stringify(w['kind'])}`);
  }
}

function topic(t: Json): string {
  return 'eq' in t ? `{eq, ${erlString(t['eq'])}}` : erlString(t['filter']);
}

export function renderAclConf(config: Record<string, unknown>): string {
  const rules = (config['rules'] as Json[] | undefined) ?? [];
  const lines = rules.map((r) => {
    const w = (r['who'] as Json | undefined) ?? { kind: 'all' };
    const topics = r['topics'] as Json[] | undefined;
    if (topics === undefined && w['kind'] === 'all' && r['access'] === 'pubsub') return `{${String(r['permission'])}, all}.`;
    const list = topics === undefined ? '["#"]' : `[${topics.map(topic).join(', ')}]`;
    return `{${String(r['permission'])}, ${who(w)}, ${String(r['access'])}, ${list}}.`;
  });
  return `%% Written by modmq migrate --reverse\n${lines.join('\n')}\n`;
}

/** The renderer for --reverse (the acl-file mapping's own lines are cuttlefish, not acl.conf). */
export function aclRenderer(_mappings: readonly LegacyMapping[]): AclRenderer {
  return renderAclConf;
}
