import { randomBytes } from 'node:crypto';
import type { Problem } from '../../schema/problem.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { type AuthScramConfig, checkConfig } from './config.js';
import { CredentialTable } from './credentials.js';
import { ScramSession } from './session.js';

export type { AuthScramConfig, ScramUserConfig } from './config.js';

/**
 * auth-scram: MQTT 5 enhanced authentication with SCRAM-SHA-1/256/512 (4.x `auth_sasl` did SHA-1).
 * Registers an enhancedAuth hook serving the enabled mechanisms; the broker layer runs the AUTH
 * exchange (src/broker/enhanced-auth.ts). Credentials come from `users` (passwords, or salt /
 * stored key / server key imported from 4.x). A method not enabled here is left to other modules.
 */
export const authScram: ModuleType<AuthScramConfig> = {
  type: 'auth-scram',
  family: 'auth',
  schemaVersion: 1,

  check(config: AuthScramConfig): Problem[] {
    return checkConfig(config);
  },

  async create(ctx: ModuleContext, config: AuthScramConfig): Promise<ModuleInstance<AuthScramConfig>> {
    let table = await CredentialTable.build(config);
    let fakeIterations = config.iteration_count;
    // Per instance: fake salts for unknown users stay stable across attempts, differ across nodes' restarts.
    const fakeSaltKey = randomBytes(32);
    const unhook = ctx.hooks.enhancedAuth((request) => {
      if (!table.serves(request.method)) return undefined;
      return new ScramSession(request.method, table, fakeSaltKey, fakeIterations);
    });
    ctx.log.info({ users: table.size(), mechanisms: config.mechanisms }, 'SCRAM enhanced authentication ready');
    return {
      async update(next: AuthScramConfig): Promise<void> {
        // Derive first: a failure leaves the old table in force. Running exchanges keep theirs.
        const built = await CredentialTable.build(next);
        table = built;
        fakeIterations = next.iteration_count;
      },
      async stop(): Promise<void> {
        unhook();
      },
      status: () => ({ state: 'running' }),
    };
  },
};
