/**
 * 4.x emqx_auth_redis reading of command replies: the auth reply (password [, salt]), the superuser
 * reply and the ACL hash (topic -> access 1 subscribe / 2 publish / 3 both).
 */
import type { AclRow } from '../auth-common/index.js';

const text = (v: unknown): string | undefined => {
  if (v === null || v === undefined) return undefined;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
};

/**
 * The stored password and salt from an auth reply: a bulk string (GET/HGET) or an array
 * (HMGET: first value the password, second the salt). undefined: no such user (4.x: nil -> ignore).
 */
export function authReply(reply: unknown): { password: string; salt?: string } | undefined {
  if (Array.isArray(reply)) {
    const password = text(reply[0]);
    if (password === undefined) return undefined;
    const salt = text(reply[1]);
    return salt === undefined ? { password } : { password, salt };
  }
  const password = text(reply);
  return password === undefined ? undefined : { password };
}

/** 4.x: only `1` marks a superuser; `true` is accepted too (the schema documents 1/true). */
export function isSuperuserReply(reply: unknown): boolean {
  const value = text(Array.isArray(reply) ? reply[0] : reply)?.trim().toLowerCase();
  return value === '1' || value === 'true';
}

/**
 * ACL rows from an HGETALL reply (an object, as ioredis transforms it, or the flat
 * `[field, value, ...]` array). Entries whose access is not 1/2/3 are skipped, as 4.x never
 * matched them. Every row allows and applies to every client that reached this query.
 */
export function aclRowsFromReply(reply: unknown): AclRow[] {
  const pairs: Array<[unknown, unknown]> = [];
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) pairs.push([reply[i], reply[i + 1]]);
  } else if (reply !== null && typeof reply === 'object' && !Buffer.isBuffer(reply)) {
    for (const [k, v] of Object.entries(reply as Record<string, unknown>)) pairs.push([k, v]);
  }
  const rows: AclRow[] = [];
  for (const [k, v] of pairs) {
    const topic = text(k);
    const access = Number(text(v));
    if (topic === undefined || topic === '' || (access !== 1 && access !== 2 && access !== 3)) continue;
    rows.push({ allow: true, access, topic, username: '$all' });
  }
  return rows;
}
