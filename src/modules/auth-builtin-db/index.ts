import { join } from 'node:path';
import type { AclDecision, AuthDecision } from '../../broker/hooks.js';
import { BackendGuard, type GuardResult } from '../auth-common/index.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { loginsOf, matchRules } from './acl-match.js';
import type { BuiltinDbConfig } from './config.js';
import { verifySecret } from './secret.js';
import { BuiltinDbService } from './service.js';
import { moduleKeyPrefix } from '../../cluster/cluster-context.js';
import { RedisUserStore } from './redis-user-store.js';
import { SqliteUserStore } from './sqlite-user-store.js';
import type { StoredUser, UserStore } from './user-store.js';

export type { BuiltinDbConfig } from './config.js';
export type { BuiltinDbAdmin, AclView, ImportOptions, ImportReport, Page, UserView } from './service.js';

/** The name the admin service is exposed under (the API serves it). */
export const BUILTIN_DB_SERVICE = 'auth-builtin-db';
/** SQLite file under the module's data dir. */
export const BUILTIN_DB_FILE = 'builtin-db.sqlite';

const BAD_CREDENTIALS = 0x86;
/** The bound on a Redis lookup, so a wedged server cannot hang a connect. */
const LOOKUP_TIMEOUT_MS = 5_000;

/** SQLite under the data dir alone; the cluster's Redis (shared by every node) in cluster mode. */
async function openStore(ctx: ModuleContext): Promise<UserStore> {
  if (ctx.cluster === undefined) return SqliteUserStore.open(join(await ctx.dataDir(), BUILTIN_DB_FILE));
  return RedisUserStore.open(
    ctx.cluster,
    moduleKeyPrefix(ctx.cluster, ctx.moduleId),
    // Another node changed users or rules: this node's cached ACL answers may be stale.
    () => ctx.broker.flushAclCache(),
    (error) => ctx.log.warn({ err: error }, 'builtin-db: Redis connection error'),
  );
}

/**
 * auth-builtin-db: users (by username or client id) and ACL rules in a SQLite file of the node
 * (in cluster mode: in the cluster's Redis, shared by every node; redis-user-store.ts), with EMQX 4.x emqx_auth_mnesia semantics. authenticate: the client id's user and the username's
 * user are both looked up; neither -> ignore, any password matches -> allow (its superuser flag),
 * else deny 0x86. authorize: rules of the client id, the username, then all; first match decides.
 */
export const authBuiltinDb: ModuleType<BuiltinDbConfig> = {
  type: 'auth-builtin-db',
  family: 'auth',
  schemaVersion: 1,

  async create(ctx: ModuleContext, config: BuiltinDbConfig): Promise<ModuleInstance<BuiltinDbConfig>> {
    const store = await openStore(ctx);
    try {
      let current = config;
      const service = new BuiltinDbService(store, () => current, () => ctx.broker.flushAclCache());
      const seeded = await service.seed(config);
      if (seeded > 0) ctx.log.info({ seeded }, 'built-in DB users seeded from the config');
      const guard = new BackendGuard({ timeoutMs: LOOKUP_TIMEOUT_MS, onError: config.on_backend_error, log: ctx.log, name: 'builtin-db' });
      // Redis can hang and gets the timeout; a SQLite read is synchronous and does not need one.
      const lookup = <T>(what: string, call: () => Promise<T>): Promise<GuardResult<T>> =>
        store.remote ? guard.run(what, call) : guard.runLocal(what, call);

      ctx.hooks.authenticate(async ({ client, password }): Promise<AuthDecision> => {
        const found = await lookup('user lookup', async () => {
          // Both lookups at once: one round trip when the store is remote.
          const found = await Promise.all([
            store.getUser('clientid', client.clientId),
            client.username !== undefined ? store.getUser('username', client.username) : undefined,
          ]);
          return found.filter((u): u is StoredUser => u !== undefined);
        });
        if (!found.ok) return guard.authFailure();
        if (found.value.length === 0) return { result: 'ignore' };
        const match = found.value.find((u) => verifySecret(u.secret, password));
        if (match) return { result: 'allow', superuser: match.isSuperuser };
        return { result: 'deny', reasonCode: BAD_CREDENTIALS, reason: 'bad username or password' };
      });

      ctx.hooks.authorize(async (client, action, topic): Promise<AclDecision> => {
        const found = await lookup('acl lookup', async () => {
          const perLogin = await Promise.all(loginsOf(client).map(([kind, id]) => store.rulesOf(kind, id)));
          return perLogin.flat();
        });
        if (!found.ok) return guard.aclFailure();
        const permission = matchRules(found.value, client, action, topic);
        return permission ? { result: permission } : { result: 'ignore' };
      });

      ctx.expose(BUILTIN_DB_SERVICE, service);

      return {
        async update(next: BuiltinDbConfig): Promise<void> {
          // Seeds first: if that throws, the old config stays in force.
          await service.seed(next);
          current = next;
          guard.configure({ onError: next.on_backend_error });
        },
        async stop(): Promise<void> {
          // Hooks and the exposed service are released by the runtime.
          await store.close();
        },
        status: () => guard.health(),
      };
    } catch (err) {
      await store.close();
      throw err;
    }
  },
};
