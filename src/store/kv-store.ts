import type { Database as Db, Statement } from 'better-sqlite3';

/**
 * A tiny key/value table in the node database, for node-local state other parts keep
 * (credentials, later retained and delayed messages). Values are JSON. Synchronous: SQLite is
 * local and fast, and callers on the auth path should not pay for a promise.
 * Use a prefix per owner: `auth-username:alice`, `retained:<topic>`.
 */
export interface KvStore {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  /** True when the key existed. */
  delete(key: string): boolean;
  /** Entries whose key starts with `prefix`, ordered by key. */
  list<T = unknown>(prefix?: string): Array<{ key: string; value: T }>;
  /** Deletes every key starting with `prefix`; returns how many. */
  deletePrefix(prefix: string): number;
}

export class SqliteKvStore implements KvStore {
  private readonly q: {
    get: Statement<[string], { value: string }>;
    set: Statement<[string, string, string]>;
    del: Statement<[string]>;
    list: Statement<[number, string], { key: string; value: string }>;
    delPrefix: Statement<[number, string]>;
  };

  /** Expects a migrated node database (see migrations.ts). */
  constructor(db: Db) {
    this.q = {
      get: db.prepare('SELECT value FROM kv WHERE key = ?'),
      set: db.prepare(
        'INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ),
      del: db.prepare('DELETE FROM kv WHERE key = ?'),
      // substr compare instead of LIKE: keys may contain % and _.
      list: db.prepare('SELECT key, value FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key'),
      delPrefix: db.prepare('DELETE FROM kv WHERE substr(key, 1, ?) = ?'),
    };
  }

  get<T = unknown>(key: string): T | undefined {
    const row = this.q.get.get(key);
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(key: string, value: unknown): void {
    if (value === undefined) throw new TypeError('kv value must not be undefined');
    this.q.set.run(key, JSON.stringify(value), new Date().toISOString());
  }

  delete(key: string): boolean {
    return this.q.del.run(key).changes > 0;
  }

  list<T = unknown>(prefix = ''): Array<{ key: string; value: T }> {
    return this.q.list.all(prefix.length, prefix).map((r) => ({ key: r.key, value: JSON.parse(r.value) as T }));
  }

  deletePrefix(prefix: string): number {
    return this.q.delPrefix.run(prefix.length, prefix).changes;
  }
}

// Callers look for the node database opener beside the kv store.
export { openNodeDatabase, type NodeDatabase } from './node-database.js';
