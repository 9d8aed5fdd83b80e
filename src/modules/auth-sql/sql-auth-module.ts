/**
 * The module type behind auth-mysql and auth-postgresql: same 4.x semantics, different driver.
 * Hooks read the current engine at call time, so an update swaps the engine atomically; the
 * authorize hook is re-registered on every update, which flushes the broker's ACL caches.
 */
import { parseDurationMs } from '../../broker/duration.js';
import type { Unhook } from '../../broker/hooks.js';
import type { Problem } from '../../schema/problem.js';
import { BackendGuard } from '../auth-common/index.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { parseServer } from './server-address.js';
import type { SqlClientFactory } from './sql-client.js';
import type { SqlAuthConfig } from './sql-config.js';
import { SqlEngine } from './sql-engine.js';
import { checkSsl, loadTlsOptions } from './tls-options.js';

export interface SqlAuthModuleSpec {
  type: string;
  /** Name in logs and degraded reasons: `mysql`, `pgsql`. */
  backend: string;
  defaultPort: number;
  /** Bind-parameter style of the driver: `?` (mysql2) or `$n` (pg). */
  style: 'question' | 'dollar';
  createClient: SqlClientFactory;
}

/** A connect attempt never waits longer than this, even with a long (migrated 5m) query timeout. */
const MAX_CONNECT_TIMEOUT_MS = 10_000;

function timeoutProblems(config: SqlAuthConfig): Problem[] {
  try {
    if (parseDurationMs(config.query_timeout) > 0) return [];
  } catch {
    /* reported below */
  }
  return [{ pointer: '/query_timeout', keyword: 'minimum', message: 'query_timeout must be greater than 0' }];
}

export function defineSqlAuthModule(spec: SqlAuthModuleSpec): ModuleType<SqlAuthConfig> {
  const build = async (ctx: ModuleContext, config: SqlAuthConfig): Promise<SqlEngine> => {
    const problems = [...timeoutProblems(config), ...checkSsl(config.ssl)];
    if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('; '));
    const { host, port } = parseServer(config.server, spec.defaultPort);
    const timeoutMs = parseDurationMs(config.query_timeout);
    const tls = await loadTlsOptions(config.ssl, host, ctx.node.dataDir);
    const guard = new BackendGuard({
      timeoutMs,
      onError: config.on_backend_error,
      log: ctx.log,
      name: `${spec.backend} ${config.server}`,
    });
    const client = spec.createClient({
      host,
      port,
      database: config.database,
      user: config.username,
      password: config.password,
      poolSize: config.pool_size,
      connectTimeoutMs: Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS),
      queryTimeoutMs: timeoutMs,
      tls,
      ...(config.encoding !== undefined ? { encoding: config.encoding } : {}),
      onIdleError: (error) => guard.degrade(`${spec.backend} ${config.server}: connection lost: ${error.message}`),
    });
    return new SqlEngine(config, client, guard, spec.style);
  };

  return {
    type: spec.type,
    family: 'auth',
    schemaVersion: 1,

    check(config: SqlAuthConfig): Problem[] {
      return [...timeoutProblems(config), ...checkSsl(config.ssl)];
    },

    async create(ctx: ModuleContext, config: SqlAuthConfig): Promise<ModuleInstance<SqlAuthConfig>> {
      let engine = await build(ctx, config);
      let unhooks: Unhook[] = [];
      const wire = (): void => {
        for (const unhook of unhooks) unhook();
        unhooks = [];
        if (engine.hasAuth) unhooks.push(ctx.hooks.authenticate((request) => engine.authenticate(request)));
        if (engine.hasAcl) unhooks.push(ctx.hooks.authorize((client, action, topic) => engine.authorize(client, action, topic)));
      };
      wire();
      // In the background: a dead server makes the module degraded, it does not fail create.
      void engine.probe();

      return {
        async update(next: SqlAuthConfig): Promise<void> {
          const fresh = await build(ctx, next); // throws -> the current engine keeps serving
          const old = engine;
          engine = fresh;
          wire();
          void fresh.probe();
          await old.retire();
        },
        async stop(): Promise<void> {
          for (const unhook of unhooks) unhook();
          unhooks = [];
          await engine.retire();
        },
        status: () => engine.health(),
      };
    },
  };
}
