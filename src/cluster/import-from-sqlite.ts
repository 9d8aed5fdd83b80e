/**
 * Moves a single node's config store (`<data_dir>/modmq.db`) into a cluster's Redis, together
 * with the node-local data of its modules (import-module-data.ts).
 *
 * Every document written is validated first as any config change is (import-validation.ts); an
 * invalid one refuses the import with its problems, before anything is written.
 *
 * - Redis holds no document for the cluster: every revision the file keeps is copied with its
 *   number, author, time and summary (the history and If-Match revisions carry on), in one
 *   MULTI guarded by WATCH, so a node committing meanwhile makes the import fail, never merge.
 * - Redis already holds one: refused, unless `force`: then the file's current document becomes
 *   one new revision on top (Redis' history stays; nodes that run the cluster apply it like any
 *   change). Writing the old numbers back would lose to running nodes, which re-seed what they saw.
 *
 * Module data goes in before the document, so nodes that start the imported modules find it.
 * API keys and the admin password stay in each node's own database: they are not cluster config.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Redis } from 'ioredis';
import { loadIoredis } from '../load-ioredis.js';
import type { ClusterDocument } from '../store/cluster-document.js';
import { openRedisStore, redactUrl } from '../store/redis-store.js';
import { clusterKeyPrefix } from './cluster-context.js';
import { ImportError, type ImportProblem } from './import-error.js';
import { checkModuleData, planModuleData, writeModuleData, type ModuleDataReport } from './import-module-data.js';
import { createDocumentValidator, type DocumentValidator } from './import-validation.js';

export { ImportError, type ImportProblem } from './import-error.js';
export type { ModuleDataReport } from './import-module-data.js';

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
  /** Per module of the imported document that keeps node-local data: what was copied. */
  modules: ModuleDataReport[];
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

type ConfigKeys = Record<'revision' | 'docs' | 'meta' | 'oldest' | 'channel', string>;

/**
 * Every revision with its number, in one MULTI guarded by WATCH: false when the cluster got a
 * document meanwhile (a node committed), and then nothing was written.
 */
async function writeHistory(redis: Redis, keys: ConfigKeys, rows: readonly Row[]): Promise<boolean> {
  await redis.watch(keys.revision);
  if (Number((await redis.get(keys.revision)) ?? '0') !== 0) {
    await redis.unwatch();
    return false;
  }
  const tx = redis.multi().del(keys.docs, keys.meta);
  for (const row of rows) {
    tx.hset(keys.docs, String(row.revision), row.document);
    tx.hset(keys.meta, String(row.revision), JSON.stringify({ author: row.author, at: row.at, summary: row.summary }));
  }
  const latest = rows[rows.length - 1]!.revision;
  tx.set(keys.oldest, String(rows[0]!.revision)).set(keys.revision, String(latest)).publish(keys.channel, String(latest));
  return (await tx.exec()) !== null;
}

/** Refuses with every problem of the given revisions (nothing written yet). */
function refuseInvalid(validator: DocumentValidator, rows: readonly Row[], dbFile: string): void {
  const problems: ImportProblem[] = rows.flatMap((row) => validator.problems(row));
  if (problems.length === 0) return;
  const revisions = [...new Set(problems.map((p) => p.revision))].join(', ');
  throw new ImportError(`${dbFile}: revision(s) ${revisions} not a valid cluster document; nothing imported`, problems);
}

export async function importFromSqlite(options: ImportOptions): Promise<ImportResult> {
  const rows = readSqliteRevisions(options.dbFile);
  const latest = rows[rows.length - 1];
  if (latest === undefined) throw new ImportError(`nothing to import: ${options.dbFile} holds no revision`);
  // The current document is imported whatever the mode: checked before Redis is even asked.
  const validator = await createDocumentValidator();
  refuseInvalid(validator, [latest], options.dbFile);
  const document = JSON.parse(latest.document) as ClusterDocument;
  const planned = planModuleData(dirname(options.dbFile), document, options.name);
  const modules = planned.map((p) => p.report);
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
  const keys: ConfigKeys = { revision: `${ns}:revision`, docs: `${ns}:docs`, meta: `${ns}:meta`, oldest: `${ns}:oldest`, channel: `${ns}:changed` };
  let current: number;
  try {
    await redis.connect().catch((err: Error) => {
      throw new ImportError(`cannot reach Redis at ${redactUrl(options.url)}: ${err.message}`);
    });
    current = Number((await redis.get(keys.revision)) ?? '0');
    if (current !== 0 && !options.force) {
      throw new ImportError(
        `Redis already holds revision ${current} of cluster "${options.name}"; nothing imported. ` +
          `--force adds this node's document (revision ${latest.revision}) on top as a new revision (the cluster's history stays).`,
      );
    }
    // History mode writes every revision: each must pass as the current one did.
    if (current === 0) refuseInvalid(validator, rows.slice(0, -1), options.dbFile);
    await checkModuleData(redis, planned, options.force === true);
    await writeModuleData(redis, planned);
    if (current === 0) {
      const done = await writeHistory(redis, keys, rows);
      if (!done) {
        throw new ImportError(
          `the cluster "${options.name}" got a document in Redis while importing; the document was not written` +
            `${modules.some((m) => m.outcome === 'copied') ? ' (the module data was)' : ''}, run again with --force`,
        );
      }
      return { mode: 'history', imported: rows.length, sourceRevision: latest.revision, revision: latest.revision, modules };
    }
  } finally {
    redis.disconnect();
  }
  const store = await openRedisStore({ url: options.url, name: options.name, timeoutMs });
  try {
    const committed = await store.commit({
      document,
      author: 'import-from-sqlite',
      summary: `import revision ${latest.revision} from ${options.dbFile}`,
    });
    return { mode: 'on-top', imported: 1, sourceRevision: latest.revision, revision: committed.revision, modules };
  } finally {
    await store.close();
  }
}
