import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import type { HashAlgorithm } from './secret.js';
import type { AclKind, AclQuery, AclRule, AclRuleAction, StoredUser, UserKind, UserQuery, UserStore } from './user-store.js';

/** A row of the users table (also read by the Redis import). */
export interface UserRow {
  kind: UserKind;
  id: string;
  algorithm: HashAlgorithm;
  salt: Buffer;
  hash: Buffer;
  is_superuser: number;
  created_at: number;
}

/** A row of the acl table. */
export interface RuleRow {
  kind: AclKind;
  id: string;
  topic: string;
  action: AclRuleAction;
  permission: 'allow' | 'deny';
  created_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  kind TEXT NOT NULL, id TEXT NOT NULL, algorithm TEXT NOT NULL, salt BLOB NOT NULL, hash BLOB NOT NULL,
  is_superuser INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS acl (
  kind TEXT NOT NULL, id TEXT NOT NULL, action TEXT NOT NULL, topic TEXT NOT NULL, permission TEXT NOT NULL,
  created_at INTEGER NOT NULL, PRIMARY KEY (kind, id, action, topic)
);
CREATE INDEX IF NOT EXISTS acl_by_login ON acl (kind, id, created_at);
`;

const toUser = (r: UserRow): StoredUser => ({
  kind: r.kind,
  id: r.id,
  secret: { algorithm: r.algorithm, salt: r.salt, hash: r.hash },
  isSuperuser: r.is_superuser === 1,
  createdAt: r.created_at,
});

const toRule = (r: RuleRow): AclRule => ({
  kind: r.kind, id: r.id, topic: r.topic, action: r.action, permission: r.permission, createdAt: r.created_at,
});

/** Escapes LIKE wildcards so `like` is a plain substring. */
const likePattern = (s: string): string => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Users and rules in one SQLite file (WAL) under the module's data dir. */
export class SqliteUserStore implements UserStore {
  readonly remote = false;
  private readonly q: {
    getUser: Statement<[string, string], UserRow>;
    insertUser: Statement<unknown[]>;
    upsertUser: Statement<unknown[]>;
    deleteUser: Statement<[string, string]>;
    rulesOf: Statement<[string, string], RuleRow>;
    putRule: Statement<unknown[]>;
    deleteRules: Statement<[string, string, string]>;
    deleteRule: Statement<[string, string, string, string]>;
    countRules: Statement<[string, string], { n: number }>;
    ping: Statement<[], { n: number }>;
  };

  private constructor(private readonly db: Db) {
    this.q = {
      getUser: db.prepare('SELECT * FROM users WHERE kind = ? AND id = ?'),
      insertUser: db.prepare(
        'INSERT OR IGNORE INTO users (kind, id, algorithm, salt, hash, is_superuser, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      upsertUser: db.prepare(
        'INSERT OR REPLACE INTO users (kind, id, algorithm, salt, hash, is_superuser, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteUser: db.prepare('DELETE FROM users WHERE kind = ? AND id = ?'),
      rulesOf: db.prepare('SELECT * FROM acl WHERE kind = ? AND id = ? ORDER BY created_at DESC, rowid DESC'),
      putRule: db.prepare(
        'INSERT OR REPLACE INTO acl (kind, id, action, topic, permission, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteRules: db.prepare('DELETE FROM acl WHERE kind = ? AND id = ? AND topic = ?'),
      deleteRule: db.prepare('DELETE FROM acl WHERE kind = ? AND id = ? AND topic = ? AND action = ?'),
      countRules: db.prepare('SELECT COUNT(*) AS n FROM acl WHERE kind = ? AND id = ?'),
      ping: db.prepare('SELECT 1 AS n'),
    };
  }

  /** Opens (creating) the file; `:memory:` for tests. */
  static open(file: string): SqliteUserStore {
    const db = new Database(file);
    try {
      if (file !== ':memory:') db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 2000');
      db.exec(SCHEMA);
      return new SqliteUserStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async getUser(kind: UserKind, id: string): Promise<StoredUser | undefined> {
    const row = this.q.getUser.get(kind, id);
    return row ? toUser(row) : undefined;
  }

  async putUser(user: StoredUser, options: { ifAbsent?: boolean } = {}): Promise<boolean> {
    const stmt = options.ifAbsent ? this.q.insertUser : this.q.upsertUser;
    const s = user.secret;
    return stmt.run(user.kind, user.id, s.algorithm, s.salt, s.hash, user.isSuperuser ? 1 : 0, user.createdAt).changes > 0;
  }

  async deleteUser(kind: UserKind, id: string): Promise<boolean> {
    return this.q.deleteUser.run(kind, id).changes > 0;
  }

  async listUsers(query: UserQuery): Promise<{ items: StoredUser[]; total: number }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.kind) {
      where.push('kind = ?');
      args.push(query.kind);
    }
    if (query.like) {
      where.push("id LIKE ? ESCAPE '\\'");
      args.push(likePattern(query.like));
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM users ${clause}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM users ${clause} ORDER BY kind, id LIMIT ? OFFSET ?`)
      .all(...args, query.limit, query.offset) as UserRow[];
    return { items: rows.map(toUser), total };
  }

  async rulesOf(kind: AclKind, id: string): Promise<AclRule[]> {
    return this.q.rulesOf.all(kind, id).map(toRule);
  }

  async putRule(rule: AclRule): Promise<void> {
    this.q.putRule.run(rule.kind, rule.id, rule.action, rule.topic, rule.permission, rule.createdAt);
  }

  async deleteRules(kind: AclKind, id: string, topic: string, action?: AclRuleAction): Promise<number> {
    return (action ? this.q.deleteRule.run(kind, id, topic, action) : this.q.deleteRules.run(kind, id, topic)).changes;
  }

  async listRules(query: AclQuery): Promise<{ items: AclRule[]; total: number }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.kind) {
      where.push('kind = ?');
      args.push(query.kind);
    }
    if (query.id !== undefined) {
      where.push('id = ?');
      args.push(query.id);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM acl ${clause}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM acl ${clause} ORDER BY kind, id, created_at DESC, rowid DESC LIMIT ? OFFSET ?`)
      .all(...args, query.limit, query.offset) as RuleRow[];
    return { items: rows.map(toRule), total };
  }

  async countRules(kind: AclKind, id: string): Promise<number> {
    return this.q.countRules.get(kind, id)?.n ?? 0;
  }

  async healthy(): Promise<boolean> {
    try {
      return this.q.ping.get()?.n === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
