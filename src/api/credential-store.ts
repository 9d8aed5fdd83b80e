import { createHash, randomBytes, randomInt, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';

export type Role = 'admin' | 'viewer';

/** Who made an API call: the `admin` user or an API key (by id). */
export interface Principal {
  /** `admin` or the key id; used as the author of config changes. */
  name: string;
  role: Role;
  kind: 'password' | 'key';
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** Shown only once, here; only its scrypt hash is stored. */
  secret: string;
}

export interface CredentialStoreOptions {
  /** scrypt cost N (power of two). Default 2^15; tests may lower it. */
  scryptCost?: number;
}

interface Row {
  id: string;
  kind: 'password' | 'key';
  name: string;
  role: Role;
  hash: string;
  created_at: string;
}

export const ADMIN_USER = 'admin';
const CACHE_MAX = 512;
const KEY_LENGTH = 32;
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/**
 * API credentials in the node's SQLite file: the admin password and API keys, stored only as
 * scrypt hashes (`scrypt$N$r$p$salt$hash`, per-entry random salt). scrypt is slow on purpose, so
 * successful verifications are cached under a SHA-256 of the credential; a cache hit is re-checked
 * against the stored hash, so a revoked key or a changed password stops working at once.
 */
export class CredentialStore {
  private readonly cache = new Map<string, { id: string; hash: string }>();
  private readonly cost: number;
  // Verified against when the user is unknown, so unknown users cost the same as wrong secrets.
  private dummyHash: string | undefined;

  constructor(private readonly db: Database, options: CredentialStoreOptions = {}) {
    this.cost = options.scryptCost ?? 2 ** 15;
    db.exec(`CREATE TABLE IF NOT EXISTS api_credentials (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('password', 'key')),
      name TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
      hash TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`);
  }

  /**
   * Makes sure the admin user exists. A seed password (MODMQ_ADMIN_PASSWORD) always becomes the
   * admin password; with no seed and no stored admin, a random 24-character password is generated,
   * its hash stored, and the password returned once so the node can print it.
   */
  ensureAdmin(seedPassword?: string): { generatedPassword?: string } {
    const existing = this.row(ADMIN_USER);
    if (seedPassword !== undefined && seedPassword !== '') {
      if (existing && verifyHash(seedPassword, existing.hash)) return {};
      this.setAdminPassword(seedPassword);
      return {};
    }
    if (existing) return {};
    const generatedPassword = randomPassword(24);
    this.setAdminPassword(generatedPassword);
    return { generatedPassword };
  }

  setAdminPassword(password: string): void {
    const hash = this.hash(password);
    this.db
      .prepare(
        `INSERT INTO api_credentials (id, kind, name, role, hash, created_at) VALUES (?, 'password', ?, 'admin', ?, ?)
         ON CONFLICT(id) DO UPDATE SET hash = excluded.hash`,
      )
      .run(ADMIN_USER, ADMIN_USER, hash, new Date().toISOString());
    this.cache.clear();
  }

  /** The principal for a user/secret pair, or null. */
  verify(user: string, secret: string): Principal | null {
    const cacheKey = createHash('sha256').update(user).update('\0').update(secret).digest('hex');
    const cached = this.cache.get(cacheKey);
    if (cached) {
      const row = this.row(cached.id);
      if (row && row.hash === cached.hash) return toPrincipal(row);
      this.cache.delete(cacheKey);
    }
    const row = this.row(user);
    if (!row) {
      this.dummyHash ??= this.hash(randomBytes(16).toString('hex'));
      verifyHash(secret, this.dummyHash);
      return null;
    }
    if (!verifyHash(secret, row.hash)) return null;
    if (this.cache.size >= CACHE_MAX) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(cacheKey, { id: row.id, hash: row.hash });
    return toPrincipal(row);
  }

  createKey(name: string, role: Role): CreatedApiKey {
    const id = `mk_${randomBytes(8).toString('hex')}`;
    const secret = randomBytes(24).toString('base64url');
    const createdAt = new Date().toISOString();
    this.db
      .prepare(`INSERT INTO api_credentials (id, kind, name, role, hash, created_at) VALUES (?, 'key', ?, ?, ?, ?)`)
      .run(id, name, role, this.hash(secret), createdAt);
    return { id, name, role, createdAt, secret };
  }

  listKeys(): ApiKeyInfo[] {
    const rows = this.db
      .prepare(`SELECT id, name, role, created_at FROM api_credentials WHERE kind = 'key' ORDER BY created_at, id`)
      .all() as Array<Pick<Row, 'id' | 'name' | 'role' | 'created_at'>>;
    return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at }));
  }

  /** False when no such key exists. */
  revokeKey(id: string): boolean {
    const result = this.db.prepare(`DELETE FROM api_credentials WHERE id = ? AND kind = 'key'`).run(id);
    for (const [k, v] of this.cache) if (v.id === id) this.cache.delete(k);
    return result.changes > 0;
  }

  private row(id: string): Row | undefined {
    return this.db.prepare(`SELECT * FROM api_credentials WHERE id = ?`).get(id) as Row | undefined;
  }

  private hash(secret: string): string {
    const salt = randomBytes(16);
    const r = 8;
    const p = 1;
    const derived = scryptSync(secret, salt, KEY_LENGTH, { N: this.cost, r, p, maxmem: maxmem(this.cost, r) });
    return `scrypt$${this.cost}$${r}$${p}$${salt.toString('base64')}$${derived.toString('base64')}`;
  }
}

function verifyHash(secret: string, stored: string): boolean {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const N = Number(n);
  const R = Number(r);
  const derived = scryptSync(secret, Buffer.from(salt, 'base64'), expected.length, {
    N,
    r: R,
    p: Number(p),
    maxmem: maxmem(N, R),
  });
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

// scrypt needs 128*N*r bytes; node's default cap (32 MiB) is exactly too small for N=2^15.
const maxmem = (n: number, r: number): number => 256 * n * r;

function toPrincipal(row: Row): Principal {
  return { name: row.id, role: row.role, kind: row.kind };
}

function randomPassword(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}
