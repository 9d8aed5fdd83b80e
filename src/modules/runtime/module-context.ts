import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BrokerApi } from '../../broker/broker-api.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import type { HookScope, ModuleHooks } from '../../broker/hooks.js';
import type { ModuleServices } from './module-services.js';
import type { ModuleContext } from './module-type.js';

export interface ContextDeps {
  node: { name: string; dataDir: string };
  cluster?: ClusterContext;
  log: Logger;
  metrics: Registry;
  broker: BrokerApi;
  services: ModuleServices;
}

/** The directory name for a module id (ids may hold ':'; keep names portable). */
export function moduleDirName(moduleId: string): string {
  return moduleId.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** Builds one instance's context; `hooks` is that instance's own scope (disposed when it stops). */
export function createModuleContext(deps: ContextDeps, moduleId: string, type: string, hooks: HookScope): ModuleContext {
  const dir = join(deps.node.dataDir, 'modules', moduleDirName(moduleId));
  // Explicit delegates (not a spread): a scope may be a class whose methods live on its prototype.
  const moduleHooks: ModuleHooks = {
    authenticate: (hook) => hooks.authenticate(hook),
    authorize: (hook) => hooks.authorize(hook),
    rewriteTopic: (hook) => hooks.rewriteTopic(hook),
    clientConnected: (hook) => hooks.clientConnected(hook),
    clientDisconnected: (hook) => hooks.clientDisconnected(hook),
    messagePublish: (hook, options) => hooks.messagePublish(hook, options),
    retainedStore: (store) => hooks.retainedStore(store),
    pskLookup: (hook) => hooks.pskLookup(hook),
    enhancedAuth: (hook) => hooks.enhancedAuth(hook),
  };
  return {
    moduleId,
    node: { name: deps.node.name, dataDir: deps.node.dataDir },
    ...(deps.cluster !== undefined ? { cluster: deps.cluster } : {}),
    async dataDir() {
      await mkdir(dir, { recursive: true });
      return dir;
    },
    log: deps.log.child({ module: moduleId, type }),
    metrics: deps.metrics,
    broker: deps.broker,
    // A module registers hooks but cannot dispose the scope: the runtime does that after stop().
    hooks: moduleHooks,
    // Owned by the hook scope: the runtime releases both together.
    expose: (name, service) => deps.services.expose(hooks, name, service),
  };
}
