/**
 * `modmq cluster nodes` (GET /api/v1/nodes as a table) and `modmq cluster import-from-sqlite`
 * (offline: a single node's store into the cluster's Redis).
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ImportError, importFromSqlite, type ImportResult, type ModuleDataReport } from '../cluster/import-from-sqlite.js';
import { ModmqError } from '../errors.js';
import { formatConfigProblems, loadNodeConfig } from '../node/load-config.js';
import type { NodeConfig } from '../node/node-config.js';
import { NODE_DB_FILE } from '../store/node-database.js';
import { redactUrl } from '../store/redis-store.js';
import { addApiOptions, withApi } from './api-command.js';
import { CliExit, formatTable, type CliIo } from './io.js';
import { formatStateCounts } from './node-summary.js';

interface NodesAnswer {
  cluster?: string | null;
  revision?: number;
  error?: string;
  nodes?: Array<{
    name: string;
    version?: string;
    self?: boolean;
    lastSeen?: string;
    api?: { host: string; port: number };
    listeners?: Array<{ kind: string; host: string; port: number }>;
    appliedRevision?: number | null;
    modules?: Array<{ state: string }> | null;
  }>;
}

function age(iso: string | undefined, now: number): string {
  if (iso === undefined) return '-';
  const ms = now - Date.parse(iso);
  return Number.isFinite(ms) ? `${Math.max(0, Math.round(ms / 100) / 10)}s ago` : '-';
}

interface ImportFlags {
  config?: string;
  dataDir?: string;
  url?: string;
  name?: string;
  force?: boolean;
  json?: boolean;
}

/** "2 users, 1 rules"; what was skipped only when something was. */
const countsText = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .filter(([kind, n]) => n > 0 || !kind.endsWith('_skipped'))
    .map(([kind, n]) => `${n} ${kind.replace(/_/g, ' ')}`)
    .join(', ');

/** One line per module: what its node-local data became. */
function moduleLine(m: ModuleDataReport): string {
  const counts = countsText(m.counts);
  if (m.outcome === 'copied') return `module ${m.id} (${m.type}): copied ${counts}${m.note !== undefined ? `; ${m.note}` : ''}`;
  return `module ${m.id} (${m.type}): nothing to move: ${m.note ?? ''}${counts !== '' ? ` (${counts})` : ''}`;
}

function printResult(io: CliIo, result: ImportResult, dbFile: string, target: string): void {
  if (result.mode === 'history') {
    io.out(`imported ${result.imported} revision(s) from ${dbFile} into ${target}; current revision ${result.revision}`);
  } else {
    io.out(`added revision ${result.sourceRevision} of ${dbFile} to ${target} as revision ${result.revision} (--force)`);
  }
  for (const m of result.modules) io.out(moduleLine(m));
  io.out('API keys and the admin password stay in each node\'s own database.');
}

async function runImport(io: CliIo, flags: ImportFlags): Promise<void> {
  let config: NodeConfig | undefined;
  if (flags.config !== undefined) {
    try {
      config = await loadNodeConfig({ file: resolve(io.cwd, flags.config), env: {}, cwd: io.cwd });
    } catch (err) {
      if (err instanceof ModmqError && err.code === 'MODMQ_NODE_CONFIG') {
        for (const line of formatConfigProblems(err)) io.err(line);
        throw new CliExit(1);
      }
      throw err;
    }
  }
  const dataDir = flags.dataDir !== undefined ? resolve(io.cwd, flags.dataDir) : config ? resolve(io.cwd, config.node.data_dir) : undefined;
  const url = flags.url ?? config?.cluster?.url;
  const name = flags.name ?? config?.cluster?.name ?? 'modmq';
  if (dataDir === undefined) {
    io.err('import-from-sqlite: give --data-dir DIR or -c NODE_CONFIG (the single node whose store moves)');
    throw new CliExit(2);
  }
  if (url === undefined) {
    io.err('import-from-sqlite: give --url redis://... (or a node config with cluster.url)');
    throw new CliExit(2);
  }
  const dbFile = join(dataDir, NODE_DB_FILE);
  try {
    const result = await importFromSqlite({ dbFile, url, name, force: flags.force === true });
    if (flags.json) io.out(JSON.stringify({ ok: true, cluster: name, file: dbFile, ...result }, null, 2));
    else printResult(io, result, dbFile, `cluster "${name}" at ${redactUrl(url)}`);
  } catch (err) {
    if (!(err instanceof ImportError)) throw err;
    if (flags.json) {
      io.out(JSON.stringify({ ok: false, error: err.message, problems: err.problems }, null, 2));
    } else {
      io.err(`import-from-sqlite: ${err.message}`);
      for (const p of err.problems) {
        const where = `${p.module !== undefined ? `module ${p.module}: ` : ''}${p.pointer === '' ? '(root)' : p.pointer}`;
        io.err(`import-from-sqlite: revision ${p.revision}: ${where}: ${p.message} [${p.keyword}]`);
      }
    }
    throw new CliExit(1);
  }
}

export function registerClusterViewCommands(cluster: Command, io: CliIo): void {
  addApiOptions(cluster.command('nodes').description('list the live nodes of the cluster with their applied revision and module states'))
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      withApi(io, cmd, async (client) => {
        const body = await client.request<NodesAnswer>('GET', '/nodes');
        if (opts.json) {
          io.out(JSON.stringify(body, null, 2));
          return;
        }
        const now = Date.now();
        const rows = (body.nodes ?? []).map((n) => [
          `${n.name}${n.self ? ' *' : ''}`,
          n.version ?? '-',
          n.api ? `${n.api.host}:${n.api.port}` : '-',
          (n.listeners ?? []).map((l) => `${l.kind} ${l.host}:${l.port}`).join(', ') || '-',
          n.appliedRevision === null || n.appliedRevision === undefined ? '-' : String(n.appliedRevision),
          age(n.lastSeen, now),
          formatStateCounts(n.modules),
        ]);
        for (const line of formatTable(['NODE', 'VERSION', 'API', 'MQTT', 'APPLIED', 'SEEN', 'MODULES'], rows)) io.out(line);
        const where = body.cluster ? `cluster ${body.cluster}` : 'single node (no cluster)';
        const count = body.nodes?.length ?? 0;
        io.out(`${where}: ${count} node${count === 1 ? '' : 's'}${body.revision === undefined ? '' : `, revision ${body.revision}`} (* = the node answering)`);
        if (body.error !== undefined) io.err(`warning: ${body.error}`);
      }),
    );

  cluster
    .command('import-from-sqlite')
    .description("move a stopped single node's config store (document and history) and its modules' data into the cluster's Redis")
    .option('-c, --config <file>', 'the node config of that node (data_dir; cluster.url and cluster.name if set)')
    .option('--data-dir <dir>', "the node's data dir (holds modmq.db)")
    .option('--url <redis-url>', 'the Redis of the cluster (default: cluster.url of -c)')
    .option('--name <cluster>', 'cluster name (default: cluster.name of -c, else modmq)')
    .option('--force', 'Redis already holds a document or module data: add this node\'s document on top as a new revision, and its module data to what is there')
    .option('--json', 'print the result (or the refusal with its problems) as JSON')
    .action(async (opts: ImportFlags) => runImport(io, opts));
}
