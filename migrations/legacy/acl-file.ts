/**
 * etc/acl.conf (+ the emqx.conf `acl_file` key) -> acl-file. There is no plugin conf: the rules read
 * by the node reader (LegacyNode.acl) are carried inline, in file order, as JSON the auth issue
 * evaluates directly (schemas/modules/acl-file/v1.json):
 *   {allow, {user, "u"}, subscribe, ["a/#", {eq, "b/#"}]}
 *   -> {permission: allow, who: {kind: user, value: u}, access: subscribe, topics: [{filter: a/#}, {eq: b/#}]}
 *   {deny, all} -> {permission: deny, who: {kind: all}, access: pubsub}   (no topics = every topic)
 * Each rule is one report entry (key = the rule text) with its own file:line.
 * `renderAclConf` writes acl.conf back for `--reverse`.
 */
import type { AclRule, AclTopic, AclWho, LegacyNode } from '../../src/migrator/legacy-node.js';
import { parseAclConf } from '../../src/migrator/readers/acl-conf.js';
import { versionNumber } from './auth-common.js';
import type { AclRuleConfig, AclTopicConfig, AclWhoConfig } from '../../src/modules/acl-file/config.js';
import type { ForwardResult, KeyOutcome, LegacyMapping } from './mapping.js';

// The module's own config types: one shape for the migrator and the acl-file module.
export type { AclRuleConfig, AclTopicConfig, AclWhoConfig } from '../../src/modules/acl-file/config.js';

export function whoConfig(who: AclWho): AclWhoConfig {
  switch (who.kind) {
    case 'all':
      return { kind: 'all' };
    case 'user':
    case 'client':
      // `{user, all}` is the atom all; a user literally named "all" is a string in acl.conf. The
      // reader gives both as 'all', so the atom reading (the common one) is taken.
      return who.value === 'all' ? { kind: who.kind, all: true } : { kind: who.kind, value: who.value };
    case 'ipaddr':
      return { kind: 'ipaddr', cidr: who.value };
    case 'ipaddrs':
      return { kind: 'ipaddrs', cidrs: [...who.values] };
    case 'and':
    case 'or':
      return { kind: who.kind, of: who.of.map(whoConfig) };
  }
}

const topicConfig = (t: AclTopic): AclTopicConfig => (t.kind === 'eq' ? { eq: t.value } : { filter: t.value });

export function ruleConfig(rule: AclRule): AclRuleConfig {
  const out: AclRuleConfig = { permission: rule.permission, who: whoConfig(rule.who), access: rule.access };
  if (rule.topics) out.topics = rule.topics.map(topicConfig);
  return out;
}

const hasPlaceholder = (r: AclRuleConfig) => (r.topics ?? []).some((t) => 'filter' in t && /(^|\/)%[uc](\/|$)/.test(t.filter));

/** The acl-file module config of one node, with one report entry per rule. */
export function aclFileFromNode(node: LegacyNode): ForwardResult {
  const keys: KeyOutcome[] = [];
  const warnings: ForwardResult['warnings'] = [];
  const aclKey = node.emqxConf?.settings.find((s) => s.key === 'acl_file');
  if (aclKey) {
    keys.push({
      key: 'acl_file',
      location: aclKey.location,
      class: 'mapped',
      target: 'acl-file#/rules',
      reason: node.acl ? `path only: the rules of ${node.acl.file} are carried inline` : 'path only: the file was not found, no rules carried',
    });
  }
  if (!node.acl) {
    warnings.push({
      code: 'acl-file-missing',
      message: `no acl.conf was read${aclKey ? ` (acl_file = ${aclKey.value})` : ''}: 4.x ran the internal ACL with no rules`,
      ...(aclKey ? { location: aclKey.location } : {}),
    });
    return { config: { rules: [] }, keys, warnings };
  }
  const rules = node.acl.rules.map(ruleConfig);
  node.acl.rules.forEach((rule, i) => {
    keys.push({ key: rule.text.replace(/\s+/g, ' ').trim(), location: rule.location, class: 'mapped', target: `acl-file#/rules/${i}` });
  });
  const v = versionNumber(node.version);
  if (v !== undefined && v < 43) {
    node.acl.rules.forEach((rule, i) => {
      if (hasPlaceholder(rules[i]!)) {
        warnings.push({
          code: 'acl-placeholder-semantics',
          message: `${node.version}: a client without username/client id matched %u/%c literally; modmq (like 4.3+) skips such a rule for it`,
          location: rule.location,
        });
      }
    });
  }
  return { config: { rules }, keys, warnings };
}

// ---- reverse: acl.conf text ----------------------------------------------------------------------

const erlString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function renderWho(who: AclWhoConfig): string {
  switch (who.kind) {
    case 'all':
      return 'all';
    case 'user':
    case 'client':
      return `{${who.kind}, ${'all' in who ? 'all' : erlString(who.value)}}`;
    case 'ipaddr':
      return `{ipaddr, ${erlString(who.cidr)}}`;
    case 'ipaddrs':
      return `{ipaddrs, [${who.cidrs.map(erlString).join(', ')}]}`;
    case 'and':
    case 'or':
      return `{'${who.kind}', [${who.of.map(renderWho).join(', ')}]}`;
  }
}

/**
 * acl.conf text for an acl-file config. A rule without topics is written as the 2-tuple
 * `{allow|deny, all}`, which 4.x only has for every client and both accesses: other such rules throw.
 */
export function renderAclConf(config: Record<string, unknown>): string {
  const rules = (config.rules as AclRuleConfig[] | undefined) ?? [];
  return rules
    .map((r) => {
      if (!r.topics) {
        if (r.who.kind !== 'all' || r.access !== 'pubsub') throw new Error('a rule without topics must be for all clients and pubsub to be written to acl.conf');
        return `{${r.permission}, all}.\n`;
      }
      const topics = r.topics.map((t) => ('eq' in t ? `{eq, ${erlString(t.eq)}}` : erlString(t.filter)));
      return `{${r.permission}, ${renderWho(r.who)}, ${r.access}, [${topics.join(', ')}]}.\n`;
    })
    .join('');
}

// ---- as a LegacyMapping: for the EE `internal_acl` module and the `emqx_mod_acl_internal` module --

/**
 * The acl-file mapping. `forward` ignores its settings and reads the node (acl.conf + `acl_file`,
 * see aclFileFromNode); `fromEnterprise` parses the EE `acl_rule_file` content ({filename, file});
 * `reverse` gives no conf lines (acl.conf itself is written with renderAclConf).
 */
export const aclFile: LegacyMapping = {
  source: 'emqx_mod_acl_internal',
  moduleType: 'acl-file',
  loadedAs: ['emqx_mod_acl_internal', 'internal_acl'],
  keyPrefixes: ['acl_file'],
  forward: (_settings, ctx) => aclFileFromNode(ctx.node),
  reverse: () => [],
  enterpriseTypes: ['internal_acl'],
  fromEnterprise(config, location) {
    const keys: KeyOutcome[] = [];
    const warnings: ForwardResult['warnings'] = [];
    for (const key of Object.keys(config)) {
      if (key !== 'acl_rule_file') {
        keys.push({ key, location, class: 'not-mapped', reason: 'unknown key for EE internal_acl module' });
        warnings.push({ code: 'unknown-key', message: `${key} is not a known key of this EE module`, location });
      }
    }
    const file = config.acl_rule_file as { filename?: unknown; file?: unknown } | undefined;
    const text = typeof file?.file === 'string' ? file.file : '';
    const name = typeof file?.filename === 'string' && file.filename !== '' ? file.filename : 'acl.conf';
    // locations inside the embedded file: `<export>#acl_rule_file/<filename>`
    const parsed = parseAclConf(text, `${location.file}#acl_rule_file/${name}`);
    for (const p of parsed.problems) warnings.push({ code: p.code, message: p.message, location: p.location });
    const rules = parsed.rules.map(ruleConfig);
    keys.push({ key: 'acl_rule_file', location, class: 'mapped', target: 'acl-file#/rules' });
    parsed.rules.forEach((rule, i) => keys.push({ key: rule.text.replace(/\s+/g, ' ').trim(), location: rule.location, class: 'mapped', target: `acl-file#/rules/${i}` }));
    return { config: { rules }, keys, warnings };
  },
};
