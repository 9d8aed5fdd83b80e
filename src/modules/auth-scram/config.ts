import type { Problem } from '../../schema/problem.js';
import { type Mechanism, digestSize, isMechanism } from './scram.js';

/** One user: a password (keys derived for every enabled mechanism) or imported keys for one mechanism. */
export interface ScramUserConfig {
  username: string;
  password?: string;
  /** Mechanism of imported keys (default SCRAM-SHA-1, what 4.x `auth_sasl` stored). */
  mechanism?: Mechanism;
  /** base64, as 4.x stored them. */
  salt?: string;
  stored_key?: string;
  server_key?: string;
  iteration_count?: number;
  superuser?: boolean;
}

export interface AuthScramConfig {
  mechanisms: Mechanism[];
  iteration_count: number;
  on_backend_error: 'ignore' | 'deny';
  users?: ScramUserConfig[];
}

export const IMPORTED_DEFAULT_MECHANISM: Mechanism = 'SCRAM-SHA-1';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Imported-key form present (any of its fields)? */
export function hasKeys(user: ScramUserConfig): boolean {
  return user.salt !== undefined || user.stored_key !== undefined || user.server_key !== undefined;
}

/** Semantic checks: one credential form per user, valid base64 keys of the mechanism's size, no duplicates. */
export function checkConfig(config: AuthScramConfig): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  (config.users ?? []).forEach((user, i) => {
    const at = (field?: string): string => (field === undefined ? `/users/${i}` : `/users/${i}/${field}`);
    const keyed = hasKeys(user);
    if (user.password !== undefined && keyed) {
      problems.push({ pointer: at(), keyword: 'scram-credential', message: 'give either password or salt/stored_key/server_key, not both' });
    } else if (user.password === undefined && !keyed) {
      problems.push({ pointer: at(), keyword: 'scram-credential', message: 'a user needs a password or salt, stored_key and server_key' });
    }
    const mechanism = user.mechanism ?? IMPORTED_DEFAULT_MECHANISM;
    if (keyed) {
      for (const field of ['salt', 'stored_key', 'server_key'] as const) {
        const value = user[field];
        if (value === undefined) {
          problems.push({ pointer: at(), keyword: 'required', message: `${field} is required with imported keys` });
        } else if (!BASE64.test(value) || value.length === 0) {
          problems.push({ pointer: at(field), keyword: 'base64', message: `${field} must be base64` });
        } else if (field !== 'salt' && isMechanism(mechanism) && Buffer.from(value, 'base64').length !== digestSize(mechanism)) {
          problems.push({ pointer: at(field), keyword: 'scram-key-size', message: `${field} must be ${digestSize(mechanism)} bytes for ${mechanism}` });
        }
      }
      if (user.iteration_count === undefined) {
        problems.push({ pointer: at(), keyword: 'required', message: 'iteration_count is required with imported keys' });
      }
      if (!config.mechanisms.includes(mechanism)) {
        problems.push({ pointer: at('mechanism'), keyword: 'scram-mechanism', message: `${mechanism} is not among the enabled mechanisms` });
      }
    }
    const key = `${keyed ? mechanism : '*'}\u0000${user.username}`;
    const clash = keyed ? seen.has(`*\u0000${user.username}`) || seen.has(key) : [...seen].some((k) => k.endsWith(`\u0000${user.username}`));
    if (clash) problems.push({ pointer: at('username'), keyword: 'unique', message: `user ${user.username} is defined twice` });
    seen.add(key);
  });
  return problems;
}
