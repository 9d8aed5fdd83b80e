import { isDeepStrictEqual } from 'node:util';
import { parseDurationMs } from '../../broker/duration.js';
import type { Problem } from '../../schema/problem.js';
import { BackendGuard, registerAuthorize } from '../auth-common/index.js';
import { backendTlsOptions, type BackendSslConfig } from '../auth-redis/tls-options.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { LdapAuth, type LdapAuthRules } from './ldap-auth.js';
import { LdapsDirectory, type LdapDirectoryConfig } from './ldap-directory.js';
import { isAttributeName } from './ldap-filter.js';
import { positiveDuration } from '../runtime/checks.js';

export interface AuthLdapConfig extends LdapDirectoryConfig, LdapAuthRules {
  timeout: string;
  ssl?: BackendSslConfig;
  on_backend_error: 'ignore' | 'deny';
}

const connectionOf = (c: AuthLdapConfig) => ({
  servers: c.servers,
  port: c.port,
  pool_size: c.pool_size,
  bind_dn: c.bind_dn,
  bind_password: c.bind_password,
  timeout: c.timeout,
  ssl: c.ssl,
});

const guardName = (c: AuthLdapConfig): string => `ldap ${c.servers.join(',')}:${c.port}`;

/**
 * auth-ldap: authentication (attribute compare or bind as the user), superuser (isSuperuser) and
 * ACL (mqttPublishTopic / mqttSubscriptionTopic / mqttPubSubTopic) from an LDAP directory, with
 * EMQX 4.x semantics. Hot update swaps the rules; a connection change opens a new pool first.
 */
export const authLdap: ModuleType<AuthLdapConfig> = {
  type: 'auth-ldap',
  family: 'auth',
  schemaVersion: 1,

  check(config: AuthLdapConfig): Problem[] {
    const problems: Problem[] = [];
    for (const key of ['match_objectclass', 'username_attribute', 'password_attribute'] as const) {
      if (key === 'match_objectclass' ? config[key] === '' : !isAttributeName(config[key])) {
        problems.push({ pointer: `/${key}`, keyword: 'format', message: `${key} is not an attribute name` });
      }
    }
    (config.filters ?? []).forEach((f, i) => {
      if (!isAttributeName(f.key)) problems.push({ pointer: `/filters/${i}/key`, keyword: 'format', message: `${JSON.stringify(f.key)} is not an attribute name` });
    });
    problems.push(...positiveDuration('/timeout', config.timeout));
    return problems;
  },

  async create(ctx: ModuleContext, config: AuthLdapConfig): Promise<ModuleInstance<AuthLdapConfig>> {
    const guard = new BackendGuard({
      timeoutMs: parseDurationMs(config.timeout),
      onError: config.on_backend_error,
      log: ctx.log,
      name: guardName(config),
    });
    const open = (c: AuthLdapConfig): LdapsDirectory => {
      const d = new LdapsDirectory(c, parseDurationMs(c.timeout), backendTlsOptions(c.ssl, ctx.node.dataDir));
      // Connections are made on demand; this early bind makes the status tell at once when the
      // directory is unreachable or bind_dn is refused (not awaited: a down server is not a failed module).
      void guard.run('bind', () => d.probe());
      return d;
    };
    let current = config;
    let directory = open(config);
    let logic = new LdapAuth(config, () => directory, guard);

    const unhookAuth = ctx.hooks.authenticate((request) => logic.authenticate(request));
    const acl = registerAuthorize(ctx.hooks, (client, action, topic) => logic.authorize(client, action, topic));

    return {
      async update(next: AuthLdapConfig): Promise<void> {
        const nextLogic = new LdapAuth(next, () => directory, guard);
        if (!isDeepStrictEqual(connectionOf(next), connectionOf(current))) {
          const old = directory;
          directory = open(next);
          void old.close();
        }
        guard.configure({ timeoutMs: parseDurationMs(next.timeout), onError: next.on_backend_error });
        logic = nextLogic;
        current = next;
        acl.refresh();
      },
      async stop(): Promise<void> {
        unhookAuth();
        acl.unhook();
        await directory.close();
      },
      status: () => guard.health(),
    };
  },
};
