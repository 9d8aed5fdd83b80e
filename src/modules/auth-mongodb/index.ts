import { isDeepStrictEqual } from 'node:util';
import { parseDurationMs } from '../../broker/duration.js';
import type { Problem } from '../../schema/problem.js';
import { BackendGuard, registerAuthorize } from '../auth-common/index.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { MongoAuth, type MongoAuthRules } from './mongo-auth.js';
import { MongoDriverStore, type MongoConnectionConfig } from './mongo-driver-store.js';
import { selectorProblem } from './mongo-selector.js';
import type { MongoStore } from './user-collection.js';
import { positiveDuration } from '../runtime/checks.js';

export interface AuthMongodbConfig extends MongoConnectionConfig, MongoAuthRules {
  query_timeout: string;
  on_backend_error: 'ignore' | 'deny';
}

/** Opens the store of a config (the driver in production; a fake in tests). */
export type MongoStoreFactory = (config: AuthMongodbConfig, timeoutMs: number, ctx: ModuleContext) => MongoStore;

const connectionOf = (c: AuthMongodbConfig) => {
  const { auth_query: _a, super_query: _s, acl_query: _q, on_backend_error: _e, ...connection } = c;
  return connection;
};

const guardName = (c: AuthMongodbConfig): string => `mongodb ${c.servers.join(',')}`;

/**
 * The auth-mongodb module type over a store factory. `authMongodb` below uses the official driver;
 * tests build the same type over an in-memory fake collection.
 */
export function createAuthMongodbType(openStore: MongoStoreFactory): ModuleType<AuthMongodbConfig> {
  return {
    type: 'auth-mongodb',
    family: 'auth',
    schemaVersion: 1,

    check(config: AuthMongodbConfig): Problem[] {
      const problems: Problem[] = [];
      const selectors: Array<[string, string]> = [
        ['/auth_query/selector', config.auth_query.selector],
        ['/super_query/selector', config.super_query.selector],
        ['/acl_query/selector', config.acl_query.selector],
        ...config.acl_query.selectors.map((s, i): [string, string] => [`/acl_query/selectors/${i}`, s]),
      ];
      for (const [pointer, text] of selectors) {
        const message = selectorProblem(text);
        if (message) problems.push({ pointer, keyword: 'format', message: `selector: ${message}` });
      }
      if (config.mongo_type === 'rs' && !config.rs_set_name) {
        problems.push({ pointer: '/rs_set_name', keyword: 'required', message: 'rs needs the replica set name' });
      }
      if (config.srv_record && config.servers.length > 1) {
        problems.push({ pointer: '/servers', keyword: 'maxItems', message: 'srv_record resolves one host' });
      }
      problems.push(...positiveDuration('/query_timeout', config.query_timeout));
      return problems;
    },

    async create(ctx: ModuleContext, config: AuthMongodbConfig): Promise<ModuleInstance<AuthMongodbConfig>> {
      const guard = new BackendGuard({
        timeoutMs: parseDurationMs(config.query_timeout),
        onError: config.on_backend_error,
        log: ctx.log,
        name: guardName(config),
      });
      let current = config;
      let store = openStore(config, parseDurationMs(config.query_timeout), ctx);
      let logic = new MongoAuth(config, () => store, guard);
      const unhookAuth = ctx.hooks.authenticate((request) => logic.authenticate(request));
      const acl = registerAuthorize(ctx.hooks, (client, action, topic) => logic.authorize(client, action, topic));

      return {
        async update(next: AuthMongodbConfig): Promise<void> {
          const nextLogic = new MongoAuth(next, () => store, guard);
          if (!isDeepStrictEqual(connectionOf(next), connectionOf(current))) {
            const old = store;
            store = openStore(next, parseDurationMs(next.query_timeout), ctx);
            void old.close().catch(() => undefined);
          }
          guard.configure({ timeoutMs: parseDurationMs(next.query_timeout), onError: next.on_backend_error });
          logic = nextLogic;
          current = next;
          acl.refresh();
        },
        async stop(): Promise<void> {
          unhookAuth();
          acl.unhook();
          await store.close();
        },
        status: () => guard.health(),
      };
    },
  };
}

/** auth-mongodb with the official driver (covered by typecheck: no MongoDB server runs in tests). */
export const authMongodb = createAuthMongodbType((config, timeoutMs, ctx) => new MongoDriverStore(config, timeoutMs, ctx.node.dataDir));
