/**
 * EMQX 4.x password hashing (emqx_passwd): the `password_hash` block of the auth-* schemas.
 * Digests are lower-case hex as 4.x stored them (compared case-insensitively); bcrypt takes its salt
 * from the stored hash (or, for `salt,bcrypt`, from the salt column); pbkdf2 uses the salt column.
 */
import { createHash, pbkdf2 as pbkdf2Callback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { pbkdf2Md4 } from './md4.js';

const pbkdf2 = promisify(pbkdf2Callback);

/** The schemas' `password_hash` object (defaults as in the schema when a field is absent). */
export interface PasswordHashConfig {
  name: 'plain' | 'md5' | 'sha' | 'sha256' | 'sha512' | 'bcrypt' | 'pbkdf2';
  /** Default `disable`. prefix = hash(salt + password), suffix = hash(password + salt). */
  salt_position?: 'prefix' | 'suffix' | 'disable';
  /** pbkdf2 only; default sha256. */
  mac_fun?: 'md4' | 'md5' | 'ripemd160' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  /** pbkdf2 only; default 4096. */
  iterations?: number;
  /** pbkdf2 only, bytes; default 32. */
  dk_length?: number;
}

const DIGESTS = { md5: 'md5', sha: 'sha1', sha256: 'sha256', sha512: 'sha512' } as const;
const MACS: Record<NonNullable<PasswordHashConfig['mac_fun']>, string> = {
  md4: 'md4',
  md5: 'md5',
  ripemd160: 'ripemd160',
  sha: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
};
const BCRYPT_ROUNDS = 10;

/** The text that is hashed: the password with the salt joined as configured. */
function salted(config: PasswordHashConfig, password: string, salt: string | undefined): string {
  const position = config.salt_position ?? 'disable';
  if (position === 'prefix') return (salt ?? '') + password;
  if (position === 'suffix') return password + (salt ?? '');
  return password;
}

/**
 * Hashes `password` the way 4.x stored it. `salt` is the salt column (pbkdf2 salt; bcrypt salt
 * such as `$2b$10$...`, generated when absent). Throws for a bcrypt salt that is not one.
 */
export async function hashPassword(config: PasswordHashConfig, password: string, salt?: string): Promise<string> {
  switch (config.name) {
    case 'plain':
      return salted(config, password, salt);
    case 'md5':
    case 'sha':
    case 'sha256':
    case 'sha512':
      return createHash(DIGESTS[config.name]).update(salted(config, password, salt), 'utf8').digest('hex');
    case 'bcrypt':
      return bcrypt.hash(password, salt ?? (await bcrypt.genSalt(BCRYPT_ROUNDS)));
    case 'pbkdf2': {
      const mac = config.mac_fun ?? 'sha256';
      const iterations = config.iterations ?? 4096;
      const length = config.dk_length ?? 32;
      const pw = Buffer.from(password, 'utf8');
      const s = Buffer.from(salt ?? '', 'utf8');
      const key = mac === 'md4' ? pbkdf2Md4(pw, s, iterations, length) : await pbkdf2(pw, s, iterations, length, MACS[mac]);
      return key.toString('hex');
    }
    default:
      throw new Error(`unknown password hash ${JSON.stringify((config as { name: unknown }).name)}`);
  }
}

/**
 * Whether `password` matches `stored` (the password column) under `config`; `salt` is the salt
 * column. Never throws for a malformed stored value (answers false). Constant-time comparison.
 */
export async function checkPassword(config: PasswordHashConfig, password: string, stored: string, salt?: string): Promise<boolean> {
  try {
    if (config.name === 'bcrypt') {
      // `salt,bcrypt` hashes with the salt column; otherwise the salt is embedded in the stored hash.
      if (config.salt_position === 'prefix' && salt !== undefined && salt !== '') {
        return constantTimeEqual(await bcrypt.hash(password, salt), stored);
      }
      return await bcrypt.compare(password, stored);
    }
    const computed = await hashPassword(config, password, salt);
    if (config.name === 'plain') return constantTimeEqual(computed, stored);
    return constantTimeEqual(computed, stored.toLowerCase());
  } catch {
    return false;
  }
}

/** Compares without leaking where the first difference is (length still leaks, as everywhere). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  if (x.length !== y.length) {
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}
