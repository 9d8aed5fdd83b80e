/**
 * The broker flushes every client's ACL cache when the authorize chain changes, not when a module
 * changes its own rules in place. An auth module whose update() changes ACL answers (new rules,
 * new query) calls `refresh()`: the hook is registered again (same chain position: the order is
 * the module order), which flushes the caches.
 */
import type { AuthorizeHook, ModuleHooks, Unhook } from '../../broker/hooks.js';

export interface AuthorizeRegistration {
  /** Re-registers the hook so the broker flushes ACL caches. */
  refresh(): void;
  unhook: Unhook;
}

export function registerAuthorize(hooks: ModuleHooks, hook: AuthorizeHook): AuthorizeRegistration {
  let current = hooks.authorize(hook);
  return {
    refresh() {
      // Synchronous swap: no check can run between the two calls.
      const next = hooks.authorize(hook);
      current();
      current = next;
    },
    unhook: () => current(),
  };
}
