import type { AclAction, ClientInfo } from '../../broker/hooks.js';
import { applyRule, compileRule, ruleSelects, type CompiledRule, type RewriteRuleConfig } from './rule.js';

/**
 * An ordered rule list, precompiled per action. Only the first rule (array order) whose source
 * filter matches is tried. Allocation-free when no rule matches: this runs for every PUBLISH.
 */
export class Rewriter {
  private readonly publishRules: readonly CompiledRule[];
  private readonly subscribeRules: readonly CompiledRule[];

  constructor(rules: readonly RewriteRuleConfig[]) {
    const compiled = rules.map(compileRule);
    this.publishRules = compiled.filter((r) => r.action !== 'subscribe');
    this.subscribeRules = compiled.filter((r) => r.action !== 'publish');
  }

  rewrite(client: ClientInfo | null, action: AclAction, topic: string): string {
    const rules = action === 'publish' ? this.publishRules : this.subscribeRules;
    if (rules.length === 0) return topic;
    // $share/<group>/<t> and $queue/<t>: only <t> is rewritten.
    if (topic.charCodeAt(0) === 0x24 /* $ */) {
      const inner = innerStart(topic);
      if (inner > 0) {
        const rewritten = this.apply(rules, client, topic.slice(inner));
        return rewritten === undefined ? topic : topic.slice(0, inner) + rewritten;
      }
    }
    return this.apply(rules, client, topic) ?? topic;
  }

  /** The rewritten topic, or undefined when no rule selects it. */
  private apply(rules: readonly CompiledRule[], client: ClientInfo | null, topic: string): string | undefined {
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (ruleSelects(rule, topic)) return applyRule(rule, topic, client?.clientId, client?.username);
    }
    return undefined;
  }
}

/** Index where the inner topic of a `$share/<g>/` or `$queue/` topic starts; 0 for any other. */
function innerStart(topic: string): number {
  if (topic.startsWith('$queue/')) return 7;
  if (topic.startsWith('$share/')) {
    const slash = topic.indexOf('/', 7);
    if (slash > 7) return slash + 1;
  }
  return 0;
}
