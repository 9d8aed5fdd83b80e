import { compileDest, renderDest, type DestTemplate } from './dest-template.js';
import { matchTopic } from '../../broker/topic.js';

export type RewriteAction = 'publish' | 'subscribe' | 'all';

export interface RewriteRuleConfig {
  action: RewriteAction;
  source_topic: string;
  re: string;
  dest_topic: string;
}

export interface CompiledRule {
  readonly action: RewriteAction;
  readonly source: string;
  readonly re: RegExp;
  readonly dest: DestTemplate;
}

/** Regex flags: none. `u` would reject PCRE habits such as `\-`; check() rejects the PCRE-only escapes instead. */
export function compileRegex(source: string): RegExp {
  return new RegExp(source);
}

/** Number of capture groups in a regex (matching the empty alternative yields one slot per group). */
export function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`).exec('')!.length - 1;
}

/** Compiles one rule; throws a SyntaxError for a bad regex (check() reports it first). */
export function compileRule(rule: RewriteRuleConfig): CompiledRule {
  const re = compileRegex(rule.re);
  return { action: rule.action, source: rule.source_topic, re, dest: compileDest(rule.dest_topic, groupCount(re)) };
}

/** Whether this rule is the one to try for `topic` (its source filter matches). */
export function ruleSelects(rule: CompiledRule, topic: string): boolean {
  return matchTopic(rule.source, topic);
}

/** Applies a selected rule: the destination when the regex matches, else the topic unchanged. */
export function applyRule(
  rule: CompiledRule,
  topic: string,
  clientId: string | undefined,
  username: string | undefined,
): string {
  const m = rule.re.exec(topic);
  if (m === null) return topic;
  return renderDest(rule.dest, m, clientId, username);
}
