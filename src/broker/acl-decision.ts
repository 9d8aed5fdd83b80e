import { AclCache } from './acl-cache.js';
import { runChain } from './chain-runner.js';
import type { ClientState } from './client-state.js';
import type { AclAction, AclDecision } from './hooks.js';
import type { PipelineContext } from './pipeline-context.js';

/**
 * The answer without running any hook: superuser, an empty authorize chain (acl_nomatch) or a
 * cache hit. `undefined` means the chain must run (see {@link decideAsync}). Allocates nothing.
 */
export function decideSync(ctx: PipelineContext, state: ClientState, action: AclAction, topic: string): boolean | undefined {
  if (state.info.superuser) return true;
  if (ctx.hooks.chains.authorize.length === 0) return ctx.settings.acl_nomatch === 'allow';
  const policy = ctx.cachePolicy;
  if (!policy.enable || state.cache === undefined) return undefined;
  return state.cache.get(policy, action, topic, Date.now());
}

/** Runs the authorize chain (first allow/deny wins, all ignore -> acl_nomatch) and caches the answer. */
export function decideAsync(
  ctx: PipelineContext,
  state: ClientState,
  action: AclAction,
  topic: string,
  done: (allowed: boolean) => void,
): void {
  const chain = ctx.hooks.chains.authorize;
  const policy = ctx.cachePolicy;
  const info = state.info;
  runChain<(typeof chain)[number], AclDecision>(
    chain,
    (hook) => hook(info, action, topic),
    (error) => ctx.log.error({ err: error, clientId: info.clientId, action, topic }, 'authorize hook failed; counted as ignore'),
    (decision) => {
      const allowed = decision === undefined ? ctx.settings.acl_nomatch === 'allow' : decision.result === 'allow';
      // A flush (hooks or settings changed) while the chain ran makes this answer stale: do not cache it.
      if (policy.enable && policy === ctx.cachePolicy) {
        state.cache ??= new AclCache(policy.generation);
        state.cache.set(policy, action, topic, allowed, Date.now());
      }
      done(allowed);
    },
  );
}
