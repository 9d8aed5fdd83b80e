/**
 * Compiled acl.conf rules. As in 4.x (emqx_mod_acl_internal), the rules are split into a publish
 * list and a subscribe list (`pubsub` rules in both), each in file order; the first rule whose
 * who and topics match decides. No match -> ignore (the chain goes on, then acl_nomatch).
 */
import type { AclAction, AclDecision, ClientInfo } from '../../broker/hooks.js';
import { compileAclTopic, type TopicMatcher } from '../auth-common/topic.js';
import type { AclRuleConfig } from './config.js';
import { compileWho, type WhoMatcher } from './who.js';

interface CompiledRule {
  decision: AclDecision;
  who: WhoMatcher;
  /** null = every topic. */
  topics: TopicMatcher[] | null;
}

const IGNORE: AclDecision = { result: 'ignore' };
const ALLOW: AclDecision = { result: 'allow' };

export class AclRules {
  private readonly publish: CompiledRule[] = [];
  private readonly subscribe: CompiledRule[] = [];

  /** Throws on a rule that cannot compile (check() reports those before anything is stored). */
  constructor(rules: readonly AclRuleConfig[]) {
    rules.forEach((rule, index) => {
      const compiled: CompiledRule = {
        decision: rule.permission === 'allow' ? ALLOW : { result: 'deny', reason: `acl-file rule ${index}` },
        who: compileWho(rule.who),
        topics: rule.topics === undefined ? null : rule.topics.map((t) => compileAclTopic(t)),
      };
      if (rule.access !== 'subscribe') this.publish.push(compiled);
      if (rule.access !== 'publish') this.subscribe.push(compiled);
    });
  }

  get size(): number {
    return new Set([...this.publish, ...this.subscribe]).size;
  }

  check(client: ClientInfo, action: AclAction, topic: string): AclDecision {
    const list = action === 'publish' ? this.publish : this.subscribe;
    for (let i = 0; i < list.length; i++) {
      const rule = list[i]!;
      if (!rule.who(client)) continue;
      if (rule.topics !== null && !rule.topics.some((m) => m(client, topic))) continue;
      return rule.decision;
    }
    return IGNORE;
  }
}
