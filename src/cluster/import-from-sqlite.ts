/**
 * Moves a single node's config store (`<data_dir>/modmq.db`) into a cluster's Redis.
 *
 * - Redis holds no document for the cluster: every revision the file keeps is copied with its
 *   number, author, time and summary (the history and If-Match revisions carry on), in one
 *   MULTI guarded by WATCH, so a node committing meanwhile makes the import fail, never merge.
 * - Redis already holds one: refused, unless `force`: then the file's current document becomes
 *   one new revision on top (Redis' history stays; nodes that run the cluster apply it like any
 *   change). Writing the old numbers back would lose to running nodes, which re-seed what they saw.
 *
 * API keys and the admin password stay in each node's own database: they are not cluster config.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { loadIoredis } from '../load-ioredis.js';
import type { ClusterDocument } from '../store/cluster-document.js';
import { openRedisStore, redactUrl } from '../store/redis-store.js';
import { clusterKeyPrefix } from './cluster-context.js';

export class ImportError extends Error {}

export interface ImportOptions {
  /** The node database file. */
  dbFile: string;
  url: string;
  name: string;
  force?: boolean;
  timeoutMs?: number;
}

export interface ImportResult {
  /** `history`: revisions copied as they were; `on-top`: the current document as one new revision. */
  mode: 'history' | 'on-top';
  /** Revisions of the file that were written. */
  imported: number;
  /** The file's current revision. */
  sourceRevision: number;
  /** The cluster's current revision after the import. */
  revision: number;
}

interface Row {
  revision: number;
  document: string;
  author: string;
  at: string;
  summary: string;
}

/** Every revision the file keeps, oldest first. Read-only: the file is never changed. */
export function readSqliteRevisions(dbFile: string): Row[] {
  if (!existsSync(dbFile)) throw new ImportError(`no node database at ${dbFile} (wrong --data-dir or -c?)`);
  let db: Database.Database;
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new ImportError(`cannot open ${dbFile}: ${(err as Error).message}`);
  }
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'revisions'").get();
    if (table === undefined) throw new ImportError(`${dbFile} is not a modmq node database (no revisions table)`);
    return db.prepare('SELECT revision, document, author, at, summary FROM revisions ORDER BY revision').all() as Row[];
  } finally {
    db.close();
  }
}

export async function importFromSqlite(options: ImportOptions): Promise<ImportResult> {
  const rows = readSqliteRevisions(options.dbFile);
  const latest = rows[rows.length - 1];
  if (latest === undefined) throw new ImportError(`nothing to import: ${options.dbFile} holds no revision`);
  for (const row of rows) {
    try {
      JSON.parse(row.document);
    } catch {
      throw new ImportError(`${options.dbFile}: revision ${row.revision} is not valid JSON; nothing imported`);
    }
  }
  const timeoutMs = options.timeoutMs ?? 5000;
  const { Redis } = loadIoredis();
  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  const ns = `${clusterKeyPrefix(options.name)}config`;
  const keys = { revision: `${ns}:revision`, docs: `${ns}:docs`, meta: `${ns}:meta`, oldest: `${ns}:oldest`, channel: `${ns}:changed` };
  let current: number;
  try {
    await redis.connect().catch((err: Error) => {
      throw new ImportError(`cannot reach Redis at ${redactUrl(options.url)}: ${err.message}`);
    });
    await redis.watch(keys.revision);
    current = Number((await redis.get(keys.revision)) ?? '0');
    if (current === 0) {
      const tx = redis.multi().del(keys.docs, keys.meta);
      for (const row of rows) {
        tx.hset(keys.docs, String(row.revision), row.document);
        tx.hset(keys.meta, String(row.revision), JSON.stringify({ author: row.author, at: row.at, summary: row.summary }));
      }
      tx.set(keys.oldest, String(rows[0]!.revision)).set(keys.revision, String(latest.revision)).publish(keys.channel, String(latest.revision));
      const done = await tx.exec();
      if (done === null) throw new ImportError(`the cluster "${options.name}" got a document in Redis while importing; nothing was written, run again`);
      return { mode: 'history', imported: rows.length, sourceRevision: latest.revision, revision: latest.revision };
    }
    await redis.unwatch();
  } finally {
    redis.disconnect();
  }
  if (!options.force) {
    throw new ImportError(
      `Redis already holds revision ${current} of cluster "${options.name}"; nothing imported. ` +
        `--force adds this node's document (revision ${latest.revision}) on top as a new revision (the cluster's history stays).`,
    );
  }
  const store = await openRedisStore({ url: options.url, name: options.name, timeoutMs });
  try {
    const committed = await store.commit({
      document: JSON.parse(latest.document) as ClusterDocument,
      author: 'import-from-sqlite',
      summary: `import revision ${latest.revision} from ${options.dbFile}`,
    });
    return { mode: 'on-top', imported: 1, sourceRevision: latest.revision, revision: committed.revision };
  } finally {
    await store.close();
  }
}
