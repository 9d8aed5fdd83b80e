/**
 * One module's node-local data (read from its SQLite file) on its way into the cluster's Redis,
 * in the layout that module's Redis backend reads. Each module with shared data implements it
 * next to its backend (`src/modules/<type>/redis-import.ts`); import-module-data.ts drives them.
 */
import Database from 'better-sqlite3';
import type { Redis } from 'ioredis';

export interface ModuleDataCopy {
  /** What the file holds, by kind (`users`, `rules`, `messages`...): the report's counts. */
  readonly counts: Record<string, number>;
  /** How many records Redis holds for the module now; 0 = none. */
  held(redis: Redis): Promise<number>;
  /**
   * Writes everything in one MULTI, under WATCH of the keys it reads first (counters); resolves
   * false when Redis changed meanwhile, and then nothing was written. Never touches the file.
   */
  write(redis: Redis): Promise<boolean>;
}

/**
 * Reads a module's SQLite file read-only (an import never changes the node's files): `read` gets
 * the open database, or throws when the file lacks `table`. The file is closed afterwards.
 */
export function readSqlite<T>(file: string, table: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) === undefined) {
      throw new Error(`no ${table} table`);
    }
    return read(db);
  } finally {
    db.close();
  }
}
