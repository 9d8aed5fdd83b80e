import type { Database } from 'better-sqlite3';

/**
 * The node database's schema, one step per version; `PRAGMA user_version` records how far a file
 * got. Steps are append-only: a released step is never edited.
 */
const STEPS: readonly string[] = [
  // 1: cluster document revisions
  `CREATE TABLE revisions (
     revision INTEGER PRIMARY KEY,
     document TEXT NOT NULL,
     author TEXT NOT NULL,
     at TEXT NOT NULL,
     summary TEXT NOT NULL
   )`,
  // 2: generic key/value table (credentials, later retained and delayed messages)
  `CREATE TABLE kv (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) WITHOUT ROWID`,
];

export const SCHEMA_VERSION = STEPS.length;

/** Applies the pending steps in one IMMEDIATE transaction, so two processes cannot race it. */
export function migrate(db: Database): void {
  const run = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > STEPS.length) {
      throw new Error(`database schema version ${version} is newer than this modmq (${STEPS.length})`);
    }
    for (let v = version; v < STEPS.length; v++) db.exec(STEPS[v]!);
    if (version !== STEPS.length) db.pragma(`user_version = ${STEPS.length}`);
  });
  run.immediate();
}

/** Pragmas every connection to a node database uses. */
export function configureConnection(db: Database): void {
  if (db.name !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Another process (the CLI) may hold the write lock for a moment.
  db.pragma('busy_timeout = 5000');
}
