import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { SqliteKvStore, type KvStore } from './kv-store.js';
import { configureConnection, migrate } from './migrations.js';
import { SqliteConfigStore, type SqliteStoreOptions } from './sqlite-store.js';

export interface NodeDatabase {
  db: Db;
  store: SqliteConfigStore;
  kv: KvStore;
  /** Stops the store's watchers and closes the connection. */
  close(): Promise<void>;
}

export const NODE_DB_FILE = 'modmq.db';

/** Opens `<dataDir>/modmq.db` once (creating the dir and migrating); store and kv share it. */
export function openNodeDatabase(dataDir: string, options: SqliteStoreOptions = {}): NodeDatabase {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, NODE_DB_FILE));
  try {
    configureConnection(db);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const store = new SqliteConfigStore(db, false, options);
  const kv = new SqliteKvStore(db);
  return {
    db,
    store,
    kv,
    async close() {
      await store.close();
      if (db.open) db.close();
    },
  };
}
