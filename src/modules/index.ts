import type { ModuleType } from './runtime/module-type.js';
import { ModuleRegistry } from './runtime/registry.js';
import { presence } from './presence/index.js';
import { prometheus } from './prometheus/index.js';
import { proxySubscription } from './proxy-subscription/index.js';
import { topicRewrite } from './topic-rewrite/index.js';

/**
 * Every module type built into modmq. Add yours here: `import { presence } from './presence/index.js'`
 * and list it below. The schema in `schemas/modules/<type>/` must exist too.
 */
export const builtinModuleTypes: ModuleType[] = [presence, proxySubscription, topicRewrite, prometheus];

/** The registry a node runs with: the built-in types plus any extra (tests, plugins). */
export function buildModuleRegistry(extra: readonly ModuleType[] = []): ModuleRegistry {
  return new ModuleRegistry([...builtinModuleTypes, ...extra]);
}
