/**
 * emqx.conf `module.rewrite.*` -> topic-rewrite. The order trap (legacy-formats.md §6, §2.5): a 4.x
 * node hands numbered rules to emqx_mod_rewrite reversed (see numbered-order.ts), and the module tries
 * the first rule whose filter matches; topic-rewrite tries rules in array order. So the array is built
 * in the node's effective order: legacy `module.rewrite.rule.N` rules (action all, applied to both
 * lists and put first since 4.2), then `pub.rule.N` (publish), then `sub.rule.N` (subscribe).
 * Reverse writes 4.2+ keys with same-width ids so that every 4.x version reads the array order back.
 */
import type { ConfSetting } from '../../src/migrator/legacy-node.js';
import { checkRules } from '../../src/modules/topic-rewrite/check.js';
import type { RewriteRuleConfig } from '../../src/modules/topic-rewrite/rule.js';
import { CodecError } from './codecs.js';
import type { ConfLine, ForwardContext, ForwardResult, KeyOutcome, LegacyMapping } from './mapping.js';
import { idsForArrayOrder, listOrderRule, orderDependsOnVersion, orderItems, type NumberedItem } from './numbered-order.js';
import { applyEnableFlag } from './enable-flag.js';
import { enterpriseKeys, isRecord } from './enterprise-config.js';

const TYPE = 'topic-rewrite';
type Kind = 'all' | 'publish' | 'subscribe';
const KEY_RE = /^module\.rewrite\.(?:(pub|sub)\.)?rule\.([^.]+)$/;

interface Parsed extends NumberedItem {
  kind: Kind;
  setting: ConfSetting;
  outcome: KeyOutcome;
  rule: RewriteRuleConfig;
}

/** `Filter Regex Dest`: split on runs of spaces (not tabs) into exactly three tokens, like string:tokens/2. */
export function parseRewriteValue(raw: string): { source_topic: string; re: string; dest_topic: string } {
  const parts = raw.split(' ').filter((p) => p !== '');
  if (parts.length !== 3) throw new CodecError(`${JSON.stringify(raw)} must be "<filter> <regex> <dest>" (3 space-separated parts, got ${parts.length})`);
  return { source_topic: parts[0]!, re: parts[1]!, dest_topic: parts[2]! };
}

export function encodeRewriteValue(rule: RewriteRuleConfig): string {
  for (const part of [rule.source_topic, rule.re, rule.dest_topic]) {
    if (part === '' || part.includes(' ')) throw new CodecError(`4.x rewrite rules cannot hold empty parts or spaces: ${JSON.stringify(part)}`);
  }
  return `${rule.source_topic} ${rule.re} ${rule.dest_topic}`;
}

function forward(settings: readonly ConfSetting[], ctx: ForwardContext): ForwardResult {
  const result: ForwardResult = { keys: [], warnings: [] };
  const parsed: Parsed[] = [];
  settings.forEach((setting, position) => {
    const outcome: KeyOutcome = { key: setting.key, location: setting.location, class: 'not-mapped' };
    result.keys.push(outcome);
    if (setting.key === 'module.rewrite') {
      applyEnableFlag(setting, outcome, result, TYPE);
      return;
    }
    const m = KEY_RE.exec(setting.key);
    if (!m) {
      outcome.reason = 'unknown key for emqx.conf:rewrite';
      result.warnings.push({ code: 'unknown-key', message: `${setting.key} is not a known rewrite key`, location: setting.location });
      return;
    }
    const kind: Kind = m[1] === 'pub' ? 'publish' : m[1] === 'sub' ? 'subscribe' : 'all';
    try {
      const rule = { action: kind, ...parseRewriteValue(setting.value) };
      parsed.push({ id: m[2]!, position, kind, setting, outcome, rule });
    } catch (err) {
      outcome.reason = (err as Error).message;
      result.warnings.push({ code: 'invalid-value', message: `${setting.key}: ${outcome.reason}`, location: setting.location });
    }
  });

  const rule = listOrderRule(ctx.version);
  const ordered: Parsed[] = [];
  for (const kind of ['all', 'publish', 'subscribe'] as const) {
    const group = parsed.filter((p) => p.kind === kind);
    if (ctx.version === undefined && orderDependsOnVersion(group)) {
      result.warnings.push({
        code: 'rewrite-order-version',
        message: `the order of the ${kind} rewrite rules (${group.map((g) => g.setting.key).join(', ')}) depends on the 4.x version, which is unknown: assumed 4.3/4.4 (ids sorted as strings, reversed)`,
        location: group[0]!.setting.location,
      });
    }
    ordered.push(...orderItems(group, rule));
  }

  const rules: RewriteRuleConfig[] = [];
  const old = ctx.version !== undefined && /^4\.[012](\.|$)/.test(ctx.version);
  for (const p of ordered) {
    const problems = checkRules([p.rule]);
    if (problems.length) {
      p.outcome.reason = `rule dropped: ${problems.map((x) => x.message).join('; ')}`;
      result.warnings.push({ code: 'rewrite-rule-dropped', message: `${p.setting.key}: ${p.outcome.reason}`, location: p.setting.location });
      continue;
    }
    if (old && /%[cu]/.test(p.rule.dest_topic)) {
      result.warnings.push({
        code: 'rewrite-placeholder',
        message: `${p.setting.key}: ${ctx.version} kept %c/%u literally in the destination; topic-rewrite replaces them by client id / username`,
        location: p.setting.location,
      });
    }
    p.outcome.class = 'mapped';
    p.outcome.target = `${TYPE}#/rules/${rules.length}`;
    rules.push(p.rule);
  }
  if (parsed.length > 0 || result.enabled !== undefined) result.config = { rules };
  return result;
}

/** 4.2+ keys; `all` rules can only come first (4.x puts module.rewrite.rule.N before pub/sub), later ones are split in two. */
function reverse(config: Record<string, unknown>): ConfLine[] {
  const rules = (Array.isArray(config['rules']) ? config['rules'] : []) as RewriteRuleConfig[];
  const leading = rules.findIndex((r) => r.action !== 'all');
  const allRules = leading === -1 ? rules : rules.slice(0, leading);
  const rest = leading === -1 ? [] : rules.slice(leading);
  const pub = rest.filter((r) => r.action !== 'subscribe');
  const sub = rest.filter((r) => r.action !== 'publish');
  const lines: ConfLine[] = [];
  const emit = (prefix: string, list: RewriteRuleConfig[]) => {
    const ids = idsForArrayOrder(list.length);
    // ascending ids in the file = reverse array order
    for (let i = list.length - 1; i >= 0; i--) lines.push({ key: `${prefix}.${ids[i]!}`, value: encodeRewriteValue(list[i]!) });
  };
  emit('module.rewrite.rule', allRules);
  emit('module.rewrite.pub.rule', pub);
  emit('module.rewrite.sub.rule', sub);
  return lines;
}

/** EE `topic_rewrite`: `{rules: [{type: publish|subscribe, topic, re, dest}]}`, applied in array order. */
function fromEnterprise(config: Record<string, unknown>, location: ForwardResult['keys'][number]['location']): ForwardResult {
  const result: ForwardResult = { keys: enterpriseKeys('topic_rewrite', config, location, (k) => (k === 'rules' ? `${TYPE}#/rules` : undefined)), warnings: [] };
  const input = Array.isArray(config['rules']) ? config['rules'] : [];
  const rules: RewriteRuleConfig[] = [];
  input.forEach((item, i) => {
    if (!isRecord(item)) return;
    const rule: RewriteRuleConfig = {
      action: item['type'] === 'publish' ? 'publish' : 'subscribe',
      source_topic: String(item['topic'] ?? ''),
      re: String(item['re'] ?? ''),
      dest_topic: String(item['dest'] ?? ''),
    };
    const problems = checkRules([rule]);
    if (problems.length) {
      result.warnings.push({ code: 'rewrite-rule-dropped', message: `topic_rewrite rules[${i}] dropped: ${problems.map((p) => p.message).join('; ')}`, location });
      return;
    }
    rules.push(rule);
  });
  result.config = { rules };
  return result;
}

export const emqxModuleRewrite: LegacyMapping = {
  source: 'emqx.conf:rewrite',
  moduleType: TYPE,
  loadedAs: ['emqx_mod_rewrite'],
  keyPrefixes: ['module.rewrite'],
  enterpriseTypes: ['topic_rewrite'],
  forward,
  reverse,
  fromEnterprise,
};
