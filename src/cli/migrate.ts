/**
 * `modmq migrate NODE_DIR... --out DIR`: EMQX 4.x node trees (and an EE export) -> cluster.json,
 * nodes/<name>.conf, report.json, report.md. Exit 0 clean, 1 conflicts or errors, 2 unreadable input.
 * `--env NODE_DIR=FILE` (repeatable) adds a node's `EMQX_*` environment from an env file (env > file);
 * `--apply URL` pushes the result to a running node (compare-and-set, idempotent);
 * `--reverse CLUSTER_FILE --out DIR` writes a 4.x node tree back from a cluster document.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { legacyMappings } from '../../migrations/legacy/index.js';
import type { LegacyMapping } from '../../migrations/legacy/mapping.js';
import { applyDocument, apiClientFor } from '../migrator/apply.js';
import { defaultReaders } from '../migrator/default-readers.js';
import { writeOutputs, type OutputFormat } from '../migrator/outputs.js';
import { runMigration, type MigrationOutcome, type MigratorReaders } from '../migrator/pipeline.js';
import { writeReverse } from '../migrator/reverse.js';
import { aclRenderer } from '../migrator/acl-render.js';
import { parseHoconText } from '../node/hocon.js';
import { createSchemaCatalog, type LoadedSchemaCatalog } from '../schema/schema-catalog.js';
import type { ClusterDocument } from '../store/cluster-document.js';
import { reportApiError } from './api-client.js';
import { CliExit, type CliIo } from './io.js';

export interface MigrateCliOptions {
  out?: string;
  /** `--env NODE_DIR=FILE`, repeatable: a node's `EMQX_*` environment (env file). */
  env?: string[];
  eeExport?: string;
  format?: OutputFormat;
  prefer?: string;
  strict?: boolean;
  fromVersion?: string;
  apply?: string;
  reverse?: string;
}

export interface MigrateCliDeps {
  mappings?: readonly LegacyMapping[];
  catalog?: LoadedSchemaCatalog;
  readers?: MigratorReaders;
}

/** Runs a migration the way the command does; resolves to the exit code. */
export async function runMigrateCommand(nodeDirs: readonly string[], options: MigrateCliOptions, io: CliIo, deps: MigrateCliDeps = {}): Promise<number> {
  const mappings = deps.mappings ?? legacyMappings;
  const catalog = deps.catalog ?? (await createSchemaCatalog());
  if (options.reverse !== undefined) return reverse(options.reverse, options.out, mappings, catalog, io);
  if (options.out === undefined && options.apply === undefined) {
    io.err('modmq migrate: --out DIR is required (or --apply URL)');
    return 2;
  }
  const envFiles = parseEnvOptions(options.env ?? [], io);
  if (envFiles === undefined) return 2;
  const outcome = await runMigration(
    {
      nodeDirs, cwd: io.cwd, strict: options.strict ?? true, envFiles,
      ...(options.eeExport === undefined ? {} : { eeExport: options.eeExport }),
      ...(options.fromVersion === undefined ? {} : { fromVersion: options.fromVersion }),
      ...(options.prefer === undefined ? {} : { prefer: options.prefer }),
    },
    { mappings, catalog, readers: deps.readers ?? defaultReaders },
  );
  printOutcome(outcome, io);
  if (outcome.exitCode === 2) return 2;
  if (options.out !== undefined) {
    const outDir = path.resolve(io.cwd, options.out);
    const written = await writeOutputs(outDir, outcome, options.format ?? 'json');
    io.out(`wrote ${written.join(', ')} to ${options.out}`);
  }
  if (options.apply !== undefined) {
    if (!outcome.document) {
      io.err('modmq migrate: nothing applied: the migration has conflicts or errors');
      return 1;
    }
    try {
      const applied = await applyDocument(apiClientFor(options.apply, io), outcome.document);
      io.out(applied.changed ? `applied: revision ${applied.previousRevision} -> ${applied.revision}` : `unchanged: the node already runs this document (revision ${applied.revision})`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('--apply:')) {
        io.err(error.message);
        return 2;
      }
      return reportApiError(error, io);
    }
  }
  return outcome.exitCode;
}

/** `NODE_DIR=FILE` values of --env; undefined (after printing why) when one has no `=`. */
function parseEnvOptions(values: readonly string[], io: Pick<CliIo, 'err'>): Array<{ node: string; file: string }> | undefined {
  const specs: Array<{ node: string; file: string }> = [];
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0 || eq === value.length - 1) {
      io.err(`modmq: --env takes NODE_DIR=FILE (a node directory given as argument, or its name), got '${value}'`);
      return undefined;
    }
    specs.push({ node: value.slice(0, eq), file: value.slice(eq + 1) });
  }
  return specs;
}

/** Prints unreadable inputs, errors and conflicts (stderr) and a one-line summary (stdout). */
export function printOutcome(outcome: MigrationOutcome, io: Pick<CliIo, 'out' | 'err'>): void {
  for (const u of outcome.unreadable) io.err(`cannot read ${u}`);
  const report = outcome.report;
  if (!report) return;
  for (const e of report.summary.errors) {
    io.err(`${e.node ? `${e.node}/` : ''}${e.file ? `${e.file}:${e.line}: ` : ''}error: ${e.message} [${e.code}]`);
  }
  for (const c of report.conflicts) {
    io.err(`conflict ${c.module} ${c.pointer}:`);
    for (const v of c.values) io.err(`  ${v.node}: ${JSON.stringify(v.value) ?? '(absent)'}${v.file ? ` (${v.file}:${v.line})` : ''}`);
  }
  if (report.conflicts.length > 0) io.err('resolve with --prefer NODE or --strict=false');
  const k = report.summary.keys;
  io.out(
    `${report.summary.nodes.length} node(s), ${report.summary.modules.length} module(s); keys: ${k.mapped} mapped, ${k['node-local']} node-local, ` +
      `${k.defaulted} defaulted, ${k['not-mapped']} not mapped; ${report.conflicts.length} conflict(s), ${report.summary.errors.length} error(s), ${report.warnings.length} warning(s)`,
  );
}

async function reverse(file: string, out: string | undefined, mappings: readonly LegacyMapping[], catalog: LoadedSchemaCatalog, io: CliIo): Promise<number> {
  if (out === undefined) {
    io.err('modmq migrate --reverse: --out DIR is required');
    return 2;
  }
  const abs = path.resolve(io.cwd, file);
  let value: unknown;
  try {
    const text = await readFile(abs, 'utf8');
    value = /\.(conf|hocon)$/i.test(file) ? await parseHoconText(text, abs) : JSON.parse(text);
  } catch (error) {
    io.err(`cannot read ${file}: ${(error as Error).message}`);
    return 2;
  }
  const checked = catalog.validateCluster(value);
  if (!checked.ok) {
    for (const p of checked.problems) io.err(`${file} ${p.pointer || '/'}: ${p.message}`);
    return 1;
  }
  const result = await writeReverse(checked.value as ClusterDocument, mappings, path.resolve(io.cwd, out), aclRenderer(mappings));
  io.out(`wrote ${result.files.join(', ')} to ${out}`);
  for (const id of result.skipped) io.err(`module ${id}: no legacy mapping, not written`);
  return result.skipped.length > 0 ? 1 : 0;
}

export function registerMigrateCommand(program: Command, io: CliIo): Command {
  return program
    .command('migrate')
    .description('Migrate EMQX 4.x node trees (etc/, data/) and an EE export to a modmq cluster document, node configs and a report')
    .argument('[nodeDirs...]', 'one directory per legacy node (its name names the node in the report)')
    .option('--out <dir>', 'output directory')
    .option('--env <nodeDir=file>', "a node's EMQX_* environment as an env file (docker --env-file / .env), applied over its files; repeatable", (value: string, list: string[]) => [...list, value], [] as string[])
    .option('--ee-export <file>', 'EMQX Enterprise `emqx_ctl data export` JSON')
    .addOption(new Option('--format <format>', 'cluster document format (hocon also writes cluster.conf)').choices(['json', 'hocon']).default('json'))
    .option('--prefer <node>', "resolve conflicts with this node's values")
    .addOption(new Option('--strict [bool]', 'conflicts fail the run (--strict=false: majority, then first node)').default(true))
    .option('--no-strict', 'same as --strict=false')
    .option('--from-version <version>', 'assume this 4.x version (default: detected per node)')
    .option('--apply <url>', "push the result to a running node's API (compare-and-set, idempotent)")
    .option('--reverse <clusterFile>', 'write 4.x plugin files back from a cluster document into --out')
    .action(async (nodeDirs: string[], opts: Record<string, unknown>) => {
      const strictRaw = opts['strict'];
      if (strictRaw !== undefined && ![true, false, 'true', 'false'].includes(strictRaw as string | boolean)) {
        io.err(`modmq migrate: --strict takes true or false, got '${String(strictRaw)}'`);
        throw new CliExit(2);
      }
      const options: MigrateCliOptions = { strict: strictRaw !== false && strictRaw !== 'false', format: opts['format'] as OutputFormat, env: opts['env'] as string[] };
      for (const [name, key] of [['out', 'out'], ['eeExport', 'eeExport'], ['prefer', 'prefer'], ['fromVersion', 'fromVersion'], ['apply', 'apply'], ['reverse', 'reverse']] as const) {
        const v = opts[key];
        if (typeof v === 'string') options[name] = v;
      }
      if (nodeDirs.length === 0 && options.reverse === undefined && options.eeExport === undefined) {
        io.err('modmq migrate: give at least one NODE_DIR (or --ee-export FILE, or --reverse FILE)');
        throw new CliExit(2);
      }
      const code = await runMigrateCommand(nodeDirs, options, io);
      if (code !== 0) throw new CliExit(code);
    });
}

/** `modmq validate --legacy NODE_DIR...`: every check of migrate, nothing written. */
export async function runLegacyValidation(nodeDirs: readonly string[], io: Pick<CliIo, 'out' | 'err' | 'cwd'>, deps: MigrateCliDeps = {}, env: readonly string[] = []): Promise<number> {
  const envFiles = parseEnvOptions(env, io);
  if (envFiles === undefined) return 2;
  const outcome = await runMigration(
    { nodeDirs, cwd: io.cwd, envFiles },
    { mappings: deps.mappings ?? legacyMappings, catalog: deps.catalog ?? (await createSchemaCatalog()), readers: deps.readers ?? defaultReaders },
  );
  printOutcome(outcome, io);
  for (const w of outcome.report?.warnings ?? []) io.out(`warning [${w.code}] ${w.message} (${w.nodes.join(', ')})`);
  return outcome.exitCode;
}
