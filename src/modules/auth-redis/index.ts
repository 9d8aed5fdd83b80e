import { isDeepStrictEqual } from 'node:util';
import { parseDurationMs } from '../../broker/duration.js';
import type { Problem } from '../../schema/problem.js';
import { BackendGuard, registerAuthorize } from '../auth-common/index.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { RedisAuth, type RedisAuthRules } from './redis-auth.js';
import { RedisBackend, type RedisBackendConfig } from './redis-backend.js';
import { commandProblem } from './redis-command.js';
import { positiveDuration } from '../runtime/checks.js';

export interface AuthRedisConfig extends RedisBackendConfig, RedisAuthRules {
  query_timeout: string;
  on_backend_error: 'ignore' | 'deny';
}

/** The fields that need new connections when they change; the rest is swapped in place. */
const connectionOf = (c: AuthRedisConfig) => ({
  redis_type: c.redis_type,
  servers: c.servers,
  sentinel: c.sentinel,
  database: c.database,
  password: c.password,
  pool_size: c.pool_size,
  ssl: c.ssl,
  query_timeout: c.query_timeout,
});

const guardName = (c: AuthRedisConfig): string => `redis ${c.servers.join(',')}`;

/**
 * auth-redis: authentication, superuser and ACL from Redis commands with EMQX 4.x semantics.
 * Hot update: commands, hash and on_backend_error are swapped in place; a connection change opens
 * the new connections first and closes the old ones after (create-first inside update).
 */
export const authRedis: ModuleType<AuthRedisConfig> = {
  type: 'auth-redis',
  family: 'auth',
  schemaVersion: 1,

  check(config: AuthRedisConfig): Problem[] {
    const problems: Problem[] = [];
    for (const key of ['auth_cmd', 'super_cmd', 'acl_cmd'] as const) {
      const message = commandProblem(config[key] ?? '');
      if (message) problems.push({ pointer: `/${key}`, keyword: 'format', message });
    }
    if (config.redis_type === 'sentinel' && !config.sentinel) {
      problems.push({ pointer: '/sentinel', keyword: 'required', message: 'sentinel needs the master name' });
    }
    if (config.redis_type === 'single' && config.servers.length > 1) {
      problems.push({ pointer: '/servers', keyword: 'maxItems', message: 'single takes one server' });
    }
    problems.push(...positiveDuration('/query_timeout', config.query_timeout));
    return problems;
  },

  async create(ctx: ModuleContext, config: AuthRedisConfig): Promise<ModuleInstance<AuthRedisConfig>> {
    const guard = new BackendGuard({
      timeoutMs: parseDurationMs(config.query_timeout),
      onError: config.on_backend_error,
      log: ctx.log,
      name: guardName(config),
    });
    const open = (c: AuthRedisConfig): RedisBackend => {
      const b = new RedisBackend(c, parseDurationMs(c.query_timeout), ctx.node.dataDir);
      b.onStateChange = (up, reason) => (up ? guard.recover() : guard.degrade(`${guardName(c)}: ${reason}`));
      return b;
    };
    let current = config;
    let backend = open(config);
    let logic = new RedisAuth(config, () => backend, guard);

    const unhookAuth = ctx.hooks.authenticate((request) => logic.authenticate(request));
    const acl = registerAuthorize(ctx.hooks, (client, action, topic) => logic.authorize(client, action, topic));

    return {
      async update(next: AuthRedisConfig): Promise<void> {
        const nextLogic = new RedisAuth(next, () => backend, guard);
        if (!isDeepStrictEqual(connectionOf(next), connectionOf(current))) {
          const old = backend;
          backend = open(next); // throws (bad TLS file) before anything changed
          void old.close(parseDurationMs(current.query_timeout)); // answers in flight first
        }
        guard.configure({ timeoutMs: parseDurationMs(next.query_timeout), onError: next.on_backend_error });
        logic = nextLogic;
        current = next;
        acl.refresh(); // new rules: the broker flushes cached ACL answers
      },
      async stop(): Promise<void> {
        unhookAuth();
        acl.unhook();
        await backend.close();
      },
      status: () => guard.health(),
    };
  },
};
