import { randomBytes } from 'node:crypto';
import { type AuthScramConfig, IMPORTED_DEFAULT_MECHANISM, hasKeys } from './config.js';
import { type Mechanism, type ScramKeys, deriveKeys } from './scram.js';

export interface ScramCredential extends ScramKeys {
  superuser: boolean;
}

/** Credentials by mechanism, then username. Built once per config (PBKDF2 runs here, not at connect). */
export class CredentialTable {
  private constructor(private readonly byMechanism: ReadonlyMap<Mechanism, ReadonlyMap<string, ScramCredential>>) {}

  static async build(config: AuthScramConfig): Promise<CredentialTable> {
    const table = new Map<Mechanism, Map<string, ScramCredential>>();
    for (const mechanism of config.mechanisms) table.set(mechanism, new Map());
    for (const user of config.users ?? []) {
      const superuser = user.superuser === true;
      if (hasKeys(user)) {
        const users = table.get(user.mechanism ?? IMPORTED_DEFAULT_MECHANISM);
        if (users === undefined || users.has(user.username)) continue;
        users.set(user.username, {
          salt: Buffer.from(user.salt ?? '', 'base64'),
          iterations: user.iteration_count ?? config.iteration_count,
          storedKey: Buffer.from(user.stored_key ?? '', 'base64'),
          serverKey: Buffer.from(user.server_key ?? '', 'base64'),
          superuser,
        });
        continue;
      }
      if (user.password === undefined) continue;
      // A password serves every enabled mechanism; the salt is random per instance (never stored).
      const iterations = user.iteration_count ?? config.iteration_count;
      for (const [mechanism, users] of table) {
        if (users.has(user.username)) continue;
        const keys = await deriveKeys(mechanism, user.password, randomBytes(16), iterations);
        users.set(user.username, { ...keys, superuser });
      }
    }
    return new CredentialTable(table);
  }

  serves(mechanism: string): mechanism is Mechanism {
    return this.byMechanism.has(mechanism as Mechanism);
  }

  lookup(mechanism: Mechanism, username: string): ScramCredential | undefined {
    return this.byMechanism.get(mechanism)?.get(username);
  }

  size(): number {
    let n = 0;
    for (const users of this.byMechanism.values()) n += users.size;
    return n;
  }
}
