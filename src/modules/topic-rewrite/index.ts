import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import type { Problem } from '../../schema/problem.js';
import { checkRules } from './check.js';
import { Rewriter } from './rewriter.js';
import type { RewriteRuleConfig } from './rule.js';

export interface TopicRewriteConfig {
  rules: RewriteRuleConfig[];
}

/**
 * topic-rewrite: one rewriteTopic hook; the first rule (array order) whose source filter matches
 * is the only one tried (EMQX 4.x module semantics). Rules are compiled at create/update only.
 */
export const topicRewrite: ModuleType<TopicRewriteConfig> = {
  type: 'topic-rewrite',
  family: 'internal',
  schemaVersion: 1,

  check(config: TopicRewriteConfig): Problem[] {
    return checkRules(config.rules ?? []);
  },

  async create(ctx: ModuleContext, config: TopicRewriteConfig): Promise<ModuleInstance<TopicRewriteConfig>> {
    let rewriter = new Rewriter(config.rules ?? []);
    const unhook = ctx.hooks.rewriteTopic((client, action, topic) => rewriter.rewrite(client, action, topic));
    return {
      async update(next: TopicRewriteConfig): Promise<void> {
        // Compile first: a throw leaves the old rules in force.
        rewriter = new Rewriter(next.rules ?? []);
      },
      async stop(): Promise<void> {
        unhook();
      },
      status: () => ({ state: 'running' }),
    };
  },
};
