import type { AclAction, ClientInfo } from './hooks.js';
import type { PipelineContext } from './pipeline-context.js';
import { isValidFilter, isValidTopicName } from './topic.js';

/**
 * Runs the rewriteTopic chain; each hook gets the previous hook's output. A hook that throws or
 * returns an invalid topic/filter is skipped (logged), so a bad rule can never break routing.
 */
export function rewriteTopic(ctx: PipelineContext, client: ClientInfo | null, action: AclAction, topic: string): string {
  const chain = ctx.hooks.chains.rewriteTopic;
  for (let i = 0; i < chain.length; i++) {
    let next: string;
    try {
      next = chain[i]!(client, action, topic);
    } catch (error) {
      ctx.log.error({ err: error, topic, action }, 'rewriteTopic hook threw; ignored');
      continue;
    }
    if (next === topic) continue;
    const valid = typeof next === 'string' && (action === 'publish' ? isValidTopicName(next) : isValidFilter(next));
    if (!valid) {
      ctx.log.error({ topic, action, result: next }, 'rewriteTopic hook returned an invalid topic; ignored');
      continue;
    }
    topic = next;
  }
  return topic;
}
