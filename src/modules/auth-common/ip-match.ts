/**
 * IP address / CIDR matching for ACL rules (4.x `{ipaddr, "CIDR"}`, the `ipaddr` column), v4 and
 * v6. A v4 client seen on a dual-stack socket (`::ffff:a.b.c.d`) matches v4 rules.
 */
import { BlockList, isIP } from 'node:net';
import { normalizeIp } from './placeholders.js';

export type IpMatcher = (ip: string) => boolean;

/** Parses `a.b.c.d`, `a.b.c.d/n`, `v6`, `v6/n`; null when it is not one. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const address = normalizeIp(slash < 0 ? trimmed : trimmed.slice(0, slash));
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const bits = trimmed.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > max) return null;
    prefix = Number(bits);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A matcher for one or more CIDRs; throws on an invalid one (callers check configs first). */
export function compileCidrs(cidrs: readonly string[]): IpMatcher {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed === null) throw new Error(`${JSON.stringify(cidr)} is not an IP address or CIDR`);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return (ip: string) => {
    const address = normalizeIp(ip);
    const version = isIP(address);
    if (version === 0) return false;
    return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  };
}
