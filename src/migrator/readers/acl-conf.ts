/**
 * `etc/acl.conf` (legacy-formats.md §5): Erlang terms, one rule each, in evaluation order.
 * `{allow|deny, all}` or `{allow|deny, Who, publish|subscribe|pubsub, Topics}`; Topics is a list of
 * strings/binaries/`{eq, T}` (a single binary is accepted too). A term that is not a valid rule (EMQX
 * crashes compiling it) is a problem `acl-invalid-rule` and is skipped; `{ipaddrs, ...}` on a version
 * before 4.3.6 is kept but reported (`acl-unsupported`).
 */
import type { AclRule, AclTopic, AclWho, LegacyProblem, Location } from '../legacy-node.js';
import { consultTerms, termText, type ErlTerm } from './erlang-terms.js';
import { compareVersions } from './version.js';

export interface AclFile {
  rules: AclRule[];
  problems: LegacyProblem[];
}

class RuleError extends Error {}

export function parseAclConf(text: string, file: string, version?: string): AclFile {
  const parsed = consultTerms(text, file);
  const out: AclFile = { rules: [], problems: parsed.problems.map((p) => ({ ...p })) };
  for (const { term, location, text: source } of parsed.terms) {
    try {
      const rule = readRule(term, location, source);
      if (version && compareVersions(version, '4.3.6') < 0 && usesIpaddrs(rule.who)) {
        out.problems.push({ code: 'acl-unsupported', message: `{ipaddrs, ...} needs EMQX 4.3.6+; ${version} fails on this rule`, location });
      }
      out.rules.push(rule);
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      out.problems.push({ code: 'acl-invalid-rule', message: `${source}: ${err.message}`, location });
    }
  }
  return out;
}

function atom(t: ErlTerm | undefined): string | undefined {
  return t?.type === 'atom' ? t.value : undefined;
}

function readRule(t: ErlTerm, location: Location, text: string): AclRule {
  if (t.type !== 'tuple') throw new RuleError('a rule is a tuple {allow|deny, Who, Access, Topics} or {allow|deny, all}');
  const permission = atom(t.items[0]);
  if (permission !== 'allow' && permission !== 'deny') throw new RuleError('the first element must be allow or deny');
  if (t.items.length === 2) {
    if (atom(t.items[1]) !== 'all') throw new RuleError('the 2-element form is {allow|deny, all}');
    return { permission, who: { kind: 'all' }, access: 'pubsub', location, text };
  }
  if (t.items.length !== 4) throw new RuleError('a rule has 2 or 4 elements');
  const who = readWho(t.items[1]!);
  const access = atom(t.items[2]);
  if (access !== 'publish' && access !== 'subscribe' && access !== 'pubsub') throw new RuleError('access must be publish, subscribe or pubsub');
  return { permission, who, access, topics: readTopics(t.items[3]!), location, text };
}

function readWho(t: ErlTerm): AclWho {
  if (atom(t) === 'all') return { kind: 'all' };
  if (t.type !== 'tuple' || t.items.length !== 2) throw new RuleError('who must be all, {user, _}, {client, _}, {ipaddr, _}, {ipaddrs, [...]}, {\'and\', [...]} or {\'or\', [...]}');
  const kind = atom(t.items[0]);
  const arg = t.items[1]!;
  switch (kind) {
    case 'user':
    case 'client': {
      if (atom(arg) === 'all') return { kind, value: 'all' };
      const value = stringOf(arg);
      if (value === undefined) throw new RuleError(`{${kind}, _} takes a string or all`);
      return { kind, value };
    }
    case 'ipaddr': {
      const value = stringOf(arg);
      if (value === undefined || !isCidr(value)) throw new RuleError(`{ipaddr, _} takes an address or CIDR string like "192.168.1.0/24"`);
      return { kind: 'ipaddr', value };
    }
    case 'ipaddrs': {
      if (arg.type !== 'list' || arg.tail) throw new RuleError('{ipaddrs, _} takes a list of CIDR strings');
      const values = arg.items.map((x) => {
        const v = stringOf(x);
        if (v === undefined || !isCidr(v)) throw new RuleError(`{ipaddrs, _}: ${JSON.stringify(v ?? '?')} is not an address or CIDR`);
        return v;
      });
      return { kind: 'ipaddrs', values };
    }
    case 'and':
    case 'or': {
      if (arg.type !== 'list' || arg.tail) throw new RuleError(`{'${kind}', _} takes a list`);
      return { kind, of: arg.items.map(readWho) };
    }
    case 'clientid':
    case 'username':
      throw new RuleError(`{${kind}, _} does not exist in EMQX 4.x: use {${kind === 'clientid' ? 'client' : 'user'}, _}`);
    default:
      throw new RuleError(`unknown who ${kind ?? '?'}`);
  }
}

function readTopics(t: ErlTerm): AclTopic[] {
  if (t.type === 'binary') return [{ kind: 'filter', value: t.value }];
  if (t.type === 'string') throw new RuleError('topics must be a list: ["t/#"] (a single string is a list of characters and crashes EMQX)');
  if (t.type !== 'list' || t.tail) throw new RuleError('topics must be a list of strings, binaries or {eq, Topic}');
  return t.items.map((x) => {
    if (x.type === 'string' || x.type === 'binary') return { kind: 'filter', value: x.value } as const;
    if (x.type === 'tuple' && x.items.length === 2 && atom(x.items[0]) === 'eq') {
      const v = stringOf(x.items[1]!);
      if (v !== undefined) return { kind: 'eq', value: v } as const;
    }
    throw new RuleError('a topic is a string, a binary or {eq, "topic"}');
  });
}

function stringOf(t: ErlTerm): string | undefined {
  return t.type === 'string' || t.type === 'binary' ? termText(t) : undefined;
}

function isCidr(s: string): boolean {
  const [addr, bits, ...rest] = s.split('/');
  if (rest.length || !addr) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  const isV4 = !!v4 && v4.slice(1).every((n) => Number(n) <= 255);
  const isV6 = !isV4 && /^[0-9A-Fa-f:.]+$/.test(addr) && addr.includes(':');
  if (!isV4 && !isV6) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (isV4 ? 32 : 128);
}

function usesIpaddrs(who: AclWho): boolean {
  if (who.kind === 'ipaddrs') return true;
  return (who.kind === 'and' || who.kind === 'or') && who.of.some(usesIpaddrs);
}
