import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { emptyDocument, type ClusterDocument } from './cluster-document.js';
import {
  RevisionConflictError,
  type CommitRequest,
  type ConfigStore,
  type Revision,
  type RevisionSummary,
} from './config-store.js';
import { configureConnection, migrate } from './migrations.js';

export interface SqliteStoreOptions {
  /** Revisions kept (oldest pruned, never the current). Default 1000. */
  historyCap?: number;
  /** How often to look for commits by other processes. Default 1000 ms. */
  pollIntervalMs?: number;
}

interface Row {
  revision: number;
  document: string;
  author: string;
  at: string;
  summary: string;
}

const EPOCH = new Date(0).toISOString();

/** Revision 0 exists implicitly: the empty document, before anything was committed. */
function revisionZero(): Revision {
  return { revision: 0, document: emptyDocument(), author: 'system', at: EPOCH, summary: 'empty document' };
}

/** The config store of a single node: one row per revision in the node database. */
export class SqliteConfigStore implements ConfigStore {
  private readonly historyCap: number;
  private readonly pollIntervalMs: number;
  private readonly listeners = new Set<(revision: number) => void>();
  private timer: NodeJS.Timeout | undefined;
  private lastSeen = -1;
  private lastDataVersion = -1;
  private closed = false;
  private readonly q: {
    latest: Statement<[], Row>;
    byRevision: Statement<[number], Row>;
    maxRevision: Statement<[], { r: number | null }>;
    insert: Statement<[number, string, string, string, string]>;
    prune: Statement<[number]>;
    history: Statement<[number], RevisionSummary>;
  };

  /** `ownsDb`: close() closes the connection too (false when the node database shares it). */
  constructor(private readonly db: Db, private readonly ownsDb: boolean, options: SqliteStoreOptions = {}) {
    this.historyCap = Math.max(1, options.historyCap ?? 1000);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.q = {
      latest: db.prepare('SELECT * FROM revisions ORDER BY revision DESC LIMIT 1'),
      byRevision: db.prepare('SELECT * FROM revisions WHERE revision = ?'),
      maxRevision: db.prepare('SELECT MAX(revision) AS r FROM revisions'),
      insert: db.prepare('INSERT INTO revisions (revision, document, author, at, summary) VALUES (?, ?, ?, ?, ?)'),
      prune: db.prepare('DELETE FROM revisions WHERE revision <= ?'),
      history: db.prepare('SELECT revision, author, at, summary FROM revisions ORDER BY revision DESC LIMIT ?'),
    };
  }

  async current(): Promise<Revision> {
    this.assertOpen();
    const row = this.q.latest.get();
    return row ? toRevision(row) : revisionZero();
  }

  async get(revision: number): Promise<Revision | undefined> {
    this.assertOpen();
    if (revision === 0) return revisionZero();
    const row = this.q.byRevision.get(revision);
    return row ? toRevision(row) : undefined;
  }

  async commit(request: CommitRequest): Promise<Revision> {
    this.assertOpen();
    const document: ClusterDocument = structuredClone(request.document);
    const text = JSON.stringify(document);
    const at = new Date().toISOString();
    // Compare-and-set: read and write under the write lock (IMMEDIATE) so two writers cannot both win.
    const tx = this.db.transaction((): number => {
      const current = this.maxRevision();
      if (request.expectedRevision !== undefined && request.expectedRevision !== current) {
        throw new RevisionConflictError(request.expectedRevision, current);
      }
      const next = current + 1;
      this.q.insert.run(next, text, request.author, at, request.summary);
      if (next > this.historyCap) this.q.prune.run(next - this.historyCap);
      return next;
    });
    const revision = tx.immediate();
    this.notify(revision);
    return { revision, document, author: request.author, at, summary: request.summary };
  }

  async history(limit = 100): Promise<RevisionSummary[]> {
    this.assertOpen();
    return this.q.history.all(Math.max(0, limit)).map((r) => ({ ...r }));
  }

  watch(listener: (revision: number) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer && !this.closed) {
      this.lastSeen = Math.max(this.lastSeen, this.maxRevision());
      this.lastDataVersion = this.dataVersion();
      this.timer = setInterval(() => this.poll(), this.pollIntervalMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopPolling();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopPolling();
    this.listeners.clear();
    if (this.ownsDb) this.db.close();
  }

  private maxRevision(): number {
    return this.q.maxRevision.get()?.r ?? 0;
  }

  private dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  /** data_version changes only when another connection commits: cheap to check every second. */
  private poll(): void {
    if (this.closed) return;
    try {
      const dv = this.dataVersion();
      if (dv === this.lastDataVersion) return;
      this.lastDataVersion = dv;
      const max = this.maxRevision();
      if (max !== this.lastSeen) this.notify(max);
    } catch {
      // A locked or closing database: the next tick tries again (notifications are level-triggered).
    }
  }

  private notify(revision: number): void {
    this.lastSeen = Math.max(this.lastSeen, revision);
    for (const listener of [...this.listeners]) {
      try {
        listener(revision);
      } catch {
        // A listener's failure must not stop the others or fail the commit.
      }
    }
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('config store is closed');
  }
}

function toRevision(row: Row): Revision {
  return {
    revision: row.revision,
    document: JSON.parse(row.document) as ClusterDocument,
    author: row.author,
    at: row.at,
    summary: row.summary,
  };
}

/** Opens (creating and migrating if needed) a SQLite database file as a config store. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteConfigStore {
  const db = new Database(file);
  try {
    configureConnection(db);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteConfigStore(db, true, options);
}

/** A private in-memory store, for tests. */
export function openMemoryStore(options: SqliteStoreOptions = {}): SqliteConfigStore {
  return openSqliteStore(':memory:', options);
}
