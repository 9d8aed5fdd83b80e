import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import type { Problem } from '../../schema/problem.js';
import { registerAuthorize } from '../auth-common/acl-hook.js';
import { checkAclFile } from './check.js';
import type { AclFileConfig } from './config.js';
import { AclRules } from './rules.js';

export type { AclFileConfig, AclRuleConfig, AclTopicConfig, AclWhoConfig } from './config.js';

/**
 * acl-file: EMQX 4.x acl.conf rules held inline. One authorize hook; rules compiled at
 * create/update only; first matching rule decides, no match -> ignore. A hot update swaps the
 * compiled rules and re-registers the hook so every client's ACL cache is flushed.
 */
export const aclFile: ModuleType<AclFileConfig> = {
  type: 'acl-file',
  family: 'auth',
  schemaVersion: 1,

  check(config: AclFileConfig): Problem[] {
    return checkAclFile(config);
  },

  async create(ctx: ModuleContext, config: AclFileConfig): Promise<ModuleInstance<AclFileConfig>> {
    let rules = new AclRules(config.rules ?? []);
    const registration = registerAuthorize(ctx.hooks, (client, action, topic) => rules.check(client, action, topic));
    ctx.log.debug({ rules: rules.size }, 'acl-file rules loaded');
    return {
      async update(next: AclFileConfig): Promise<void> {
        // Compile first: a throw leaves the old rules in force.
        const compiled = new AclRules(next.rules ?? []);
        rules = compiled;
        registration.refresh();
      },
      async stop(): Promise<void> {
        registration.unhook();
      },
      status: () => ({ state: 'running' }),
    };
  },
};
