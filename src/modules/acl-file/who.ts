/**
 * 4.x acl.conf `Who`: all | {user, U} | {user, all} | {client, C} | {client, all} |
 * {ipaddr, CIDR} | {ipaddrs, [CIDR]} | {'and', [...]} | {'or', [...]}.
 */
import type { ClientInfo } from '../../broker/hooks.js';
import { compileCidrs } from '../auth-common/ip-match.js';
import type { AclWhoConfig } from './config.js';

export type WhoMatcher = (client: ClientInfo) => boolean;

const always: WhoMatcher = () => true;

/** Throws on an invalid CIDR (check() reports it first). */
export function compileWho(who: AclWhoConfig): WhoMatcher {
  switch (who.kind) {
    case 'all':
      return always;
    case 'user': {
      if ('all' in who) return always;
      const name = who.value;
      return (client) => client.username === name;
    }
    case 'client': {
      if ('all' in who) return always;
      const id = who.value;
      return (client) => client.clientId === id;
    }
    case 'ipaddr': {
      const match = compileCidrs([who.cidr]);
      return (client) => match(client.peerHost);
    }
    case 'ipaddrs': {
      const match = compileCidrs(who.cidrs);
      return (client) => match(client.peerHost);
    }
    case 'and': {
      const parts = who.of.map(compileWho);
      return (client) => parts.every((p) => p(client));
    }
    case 'or': {
      const parts = who.of.map(compileWho);
      return (client) => parts.some((p) => p(client));
    }
    default:
      throw new Error(`unknown who kind ${JSON.stringify((who as { kind: unknown }).kind)}`);
  }
}
