import type { Problem } from '../../schema/problem.js';
import { isValidFilter, isValidTopicName } from '../../broker/topic.js';
import { compileRegex, type RewriteRuleConfig } from './rule.js';

/**
 * Escapes PCRE knows but a JavaScript RegExp (without the `u` flag) silently reads as the plain
 * letter: `\A` would match "A". Rejected so a rule copied from EMQX never changes meaning.
 */
const PCRE_ONLY_ESCAPES = new Set(['A', 'Z', 'z', 'Q', 'E', 'G', 'K', 'R', 'X', 'h', 'H', 'V', 'C', 'N']);

function pcreOnlyEscape(source: string): string | undefined {
  for (let i = 0; i < source.length - 1; i++) {
    if (source[i] !== '\\') continue;
    const next = source[i + 1]!;
    if (PCRE_ONLY_ESCAPES.has(next)) return `\\${next}`;
    i++; // skip the escaped character (also `\\`)
  }
  return undefined;
}

export function checkRules(rules: readonly RewriteRuleConfig[]): Problem[] {
  const problems: Problem[] = [];
  rules.forEach((rule, i) => {
    const at = (field: string): string => `/rules/${i}/${field}`;
    try {
      compileRegex(rule.re);
      const pcre = pcreOnlyEscape(rule.re);
      if (pcre !== undefined) {
        problems.push({
          pointer: at('re'),
          keyword: 'regex',
          message: `${pcre} is a PCRE escape that JavaScript regular expressions do not support`,
        });
      }
    } catch (err) {
      problems.push({ pointer: at('re'), keyword: 'regex', message: `invalid regular expression: ${(err as Error).message}` });
    }
    if (!isValidFilter(rule.source_topic)) {
      problems.push({ pointer: at('source_topic'), keyword: 'topic-filter', message: 'source_topic must be a valid MQTT topic filter' });
    }
    if (rule.action === 'subscribe') {
      if (!isValidFilter(rule.dest_topic)) {
        problems.push({ pointer: at('dest_topic'), keyword: 'topic-filter', message: 'dest_topic of a subscribe rule must be a valid MQTT topic filter' });
      }
    } else if (!isValidTopicName(rule.dest_topic)) {
      problems.push({
        pointer: at('dest_topic'),
        keyword: 'topic-name',
        message: `dest_topic of ${rule.action === 'all' ? 'an all' : 'a publish'} rule must be a topic name (no wildcards)`,
      });
    }
  });
  return problems;
}
