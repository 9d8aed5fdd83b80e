/**
 * Checks a password against an LDAP password attribute value, as 4.x emqx_auth_ldap did plus the
 * common salted schemes: `{SHA}` / `{SHA256}` / `{SHA384}` / `{SHA512}` / `{MD5}` = base64(digest),
 * `{SSHA}` / `{SSHA256}` / `{SSHA384}` / `{SSHA512}` / `{SMD5}` = base64(digest(pw + salt) + salt),
 * `{CRYPT}` with a bcrypt hash; a value that is base64 of such a scheme string (4.x tried that
 * too); anything else is a plain password. Unknown schemes never match.
 */
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { constantTimeEqual } from '../auth-common/index.js';

const DIGESTS: Record<string, { algorithm: string; length: number }> = {
  MD5: { algorithm: 'md5', length: 16 },
  SHA: { algorithm: 'sha1', length: 20 },
  SHA1: { algorithm: 'sha1', length: 20 },
  SHA256: { algorithm: 'sha256', length: 32 },
  SHA384: { algorithm: 'sha384', length: 48 },
  SHA512: { algorithm: 'sha512', length: 64 },
};

const SCHEME = /^\{([A-Za-z0-9.-]+)\}(.*)$/s;

export async function checkLdapPassword(password: string, stored: string): Promise<boolean> {
  const scheme = SCHEME.exec(stored);
  if (scheme) return checkScheme(scheme[1]!.toUpperCase(), scheme[2]!, password);
  const decoded = base64Scheme(stored);
  if (decoded) return checkScheme(decoded.scheme, decoded.data, password);
  return constantTimeEqual(password, stored);
}

/** A whole value that is base64 of `{SCHEME}data` (4.x Base64PasshashHandler). */
function base64Scheme(stored: string): { scheme: string; data: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(stored) || stored.length % 4 !== 0) return undefined;
  const m = SCHEME.exec(Buffer.from(stored, 'base64').toString('utf8'));
  return m ? { scheme: m[1]!.toUpperCase(), data: m[2]! } : undefined;
}

async function checkScheme(scheme: string, data: string, password: string): Promise<boolean> {
  const pw = Buffer.from(password, 'utf8');
  if (scheme === 'CRYPT') {
    if (!/^\$2[abxy]?\$/.test(data)) return false;
    try {
      return await bcrypt.compare(password, data);
    } catch {
      return false;
    }
  }
  if (scheme === 'CLEARTEXT') return constantTimeEqual(password, data);
  const salted = scheme.startsWith('S') && DIGESTS[scheme.slice(1)] !== undefined;
  const digest = DIGESTS[salted ? scheme.slice(1) : scheme];
  if (!digest) return false;
  const raw = Buffer.from(data, 'base64');
  if (!salted) {
    return constantTimeEqual(createHash(digest.algorithm).update(pw).digest('base64'), raw.toString('base64'));
  }
  if (raw.length <= digest.length) return false;
  const hash = raw.subarray(0, digest.length);
  const salt = raw.subarray(digest.length);
  const computed = createHash(digest.algorithm).update(pw).update(salt).digest();
  return constantTimeEqual(computed.toString('base64'), hash.toString('base64'));
}

/** Builds a `{SCHEME}` value (tests and tooling). */
export function ldapPasswordValue(scheme: 'SHA' | 'SHA256' | 'SHA512' | 'MD5' | 'SSHA' | 'SSHA256' | 'SSHA512' | 'SMD5', password: string, salt = Buffer.alloc(0)): string {
  const salted = scheme.startsWith('S') && scheme !== 'SHA' && scheme !== 'SHA256' && scheme !== 'SHA512';
  const digest = DIGESTS[salted ? scheme.slice(1) : scheme]!;
  const hash = createHash(digest.algorithm).update(password, 'utf8');
  if (salted) hash.update(salt);
  return `{${scheme}}${Buffer.concat([hash.digest(), salted ? salt : Buffer.alloc(0)]).toString('base64')}`;
}
