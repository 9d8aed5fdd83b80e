/**
 * Stored passwords in the EMQX 4.x emqx_auth_mnesia format, so users exported from 4.x log in
 * unchanged: `secret = salt(4 bytes) ++ digest(salt ++ password)`, the digest a lowercase hex
 * string (md5, sha, sha256, sha512) or the bytes themselves (plain). 4.x also accepted unsalted
 * secrets (exactly one hex digest long) from older releases; so do we.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type HashAlgorithm = 'plain' | 'md5' | 'sha' | 'sha256' | 'sha512';

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['plain', 'md5', 'sha', 'sha256', 'sha512'];

const NODE_NAME: Record<Exclude<HashAlgorithm, 'plain'>, string> = { md5: 'md5', sha: 'sha1', sha256: 'sha256', sha512: 'sha512' };
const HEX_LENGTH: Record<Exclude<HashAlgorithm, 'plain'>, number> = { md5: 32, sha: 40, sha256: 64, sha512: 128 };

export const SALT_BYTES = 4;

/** A password as stored: the salt (empty for unsalted legacy secrets) and the digest bytes. */
export interface StoredSecret {
  algorithm: HashAlgorithm;
  salt: Buffer;
  hash: Buffer;
}

/** `digest(alg, data)` as 4.x emqx_passwd:hash: hex text for real hashes, the input for plain. */
export function digest(algorithm: HashAlgorithm, data: Buffer): Buffer {
  if (algorithm === 'plain') return Buffer.from(data);
  return Buffer.from(createHash(NODE_NAME[algorithm]).update(data).digest('hex'), 'latin1');
}

/** A new secret for a plain-text password, with a fresh random salt. */
export function makeSecret(algorithm: HashAlgorithm, password: string, salt: Buffer = randomBytes(SALT_BYTES)): StoredSecret {
  return { algorithm, salt: Buffer.from(salt), hash: digest(algorithm, Buffer.concat([salt, Buffer.from(password, 'utf8')])) };
}

export function verifySecret(secret: StoredSecret, password: Buffer | undefined): boolean {
  const candidate = digest(secret.algorithm, Buffer.concat([secret.salt, password ?? Buffer.alloc(0)]));
  return candidate.length === secret.hash.length && timingSafeEqual(candidate, secret.hash);
}

/** The 4.x secret bytes (`salt ++ hash`) of a stored secret: what an auth_mnesia export holds (base64). */
export function legacyBytes(secret: StoredSecret): Buffer {
  return Buffer.concat([secret.salt, secret.hash]);
}

/**
 * Splits 4.x secret bytes as emqx_auth_mnesia did: a secret exactly one hex digest long is
 * unsalted; anything else (and every plain secret) is 4 bytes of salt then the digest.
 */
export function fromLegacyBytes(algorithm: HashAlgorithm, bytes: Buffer): StoredSecret {
  if (algorithm !== 'plain' && bytes.length === HEX_LENGTH[algorithm]) {
    return { algorithm, salt: Buffer.alloc(0), hash: Buffer.from(bytes) };
  }
  if (bytes.length < SALT_BYTES) throw new Error(`a salted ${algorithm} secret is at least ${SALT_BYTES} bytes`);
  const secret = { algorithm, salt: Buffer.from(bytes.subarray(0, SALT_BYTES)), hash: Buffer.from(bytes.subarray(SALT_BYTES)) };
  if (algorithm !== 'plain' && !isHexDigest(secret.hash, HEX_LENGTH[algorithm])) {
    throw new Error(`not a ${algorithm} secret (expected ${SALT_BYTES} salt bytes and ${HEX_LENGTH[algorithm]} hex digits)`);
  }
  return secret;
}

/**
 * The algorithm a 4.x secret was most likely made with, from its length (a salted or unsalted
 * hex digest); undefined when the length fits none (then the caller's algorithm decides).
 */
export function guessAlgorithm(bytes: Buffer): Exclude<HashAlgorithm, 'plain'> | undefined {
  for (const algorithm of ['md5', 'sha', 'sha256', 'sha512'] as const) {
    const n = HEX_LENGTH[algorithm];
    if (bytes.length === n && isHexDigest(bytes, n)) return algorithm;
    if (bytes.length === n + SALT_BYTES && isHexDigest(bytes.subarray(SALT_BYTES), n)) return algorithm;
  }
  return undefined;
}

/**
 * Decodes an export's password field: base64 of the secret bytes (4.3+ exports). Text that is
 * not canonical base64 is taken as the raw secret (older exports wrote the bytes as a string).
 */
export function decodeExportedPassword(text: string): Buffer {
  const decoded = Buffer.from(text, 'base64');
  if (text.length > 0 && decoded.toString('base64') === text.replace(/\s+/g, '')) return decoded;
  return Buffer.from(text, 'latin1');
}

function isHexDigest(bytes: Buffer, length: number): boolean {
  if (bytes.length !== length) return false;
  for (const b of bytes) {
    const hex = (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);
    if (!hex) return false;
  }
  return true;
}
