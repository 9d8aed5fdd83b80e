/** `modmq schema list | show TYPE [--version N] | export DIR`: the schemas/ folder for people and tools. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { createSchemaCatalog, type LoadedSchemaCatalog } from '../schema/schema-catalog.js';
import { CliExit, formatTable, type CliIo } from './io.js';

export interface SchemaCommandIo {
  out(line: string): void;
  err(line: string): void;
}

/** Rows of `schema list`: every module type with its family and versions. */
export function schemaListLines(catalog: LoadedSchemaCatalog): string[] {
  const rows = catalog.moduleTypes().map((t) => [t.type, t.family, t.versions.map((v) => `v${v}`).join(','), t.singleton ? 'yes' : 'no', t.title]);
  return formatTable(['TYPE', 'FAMILY', 'VERSIONS', 'SINGLETON', 'TITLE'], rows);
}

/** The schema `schema show` prints; TYPE may be 'cluster' or 'node'. Undefined when unknown. */
export function schemaFor(catalog: LoadedSchemaCatalog, type: string, version?: number): object | undefined {
  if (type === 'cluster' || type === 'node') {
    if (version !== undefined && version !== 1) return undefined;
    try {
      return type === 'cluster' ? catalog.clusterSchema() : catalog.nodeSchema();
    } catch {
      return undefined;
    }
  }
  return catalog.moduleSchema(type, version);
}

/** Writes every loaded schema file under `dir`, keeping its folder layout; returns the paths written. */
export async function exportSchemas(catalog: LoadedSchemaCatalog, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const file of catalog.schemaFiles()) {
    const target = path.join(dir, ...file.path.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.text);
    written.push(target);
  }
  return written;
}

/** Adds `schema list|show|export` to the modmq program. With a CliIo, output and exit go through it. */
export function registerSchemaCommand(program: Command, cliIo?: CliIo): Command {
  const io: SchemaCommandIo = cliIo ?? {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  const cwd = (): string => cliIo?.cwd ?? process.cwd();
  const load = (opts: { schemasDir?: string }): Promise<LoadedSchemaCatalog> =>
    createSchemaCatalog(opts.schemasDir ? { schemasDir: path.resolve(cwd(), opts.schemasDir) } : {});
  const schema = program.command('schema').description('List, show and export the JSON Schemas of modmq');
  schema
    .command('list')
    .description('List module types with their family and schema versions')
    .option('--json', 'print JSON instead of a table')
    .option('--schemas-dir <dir>', 'schemas root (default: the bundled schemas/)')
    .action(async (opts: { json?: boolean; schemasDir?: string }) => {
      const catalog = await load(opts);
      if (opts.json) io.out(JSON.stringify(catalog.moduleTypes(), null, 2));
      else for (const line of schemaListLines(catalog)) io.out(line);
    });
  schema
    .command('show')
    .description('Print the JSON Schema of a module type, or of `cluster` / `node`')
    .argument('<type>', 'module type, `cluster` or `node`')
    .option('--version <n>', 'schema version (default: latest)', parseVersion)
    .option('--schemas-dir <dir>', 'schemas root (default: the bundled schemas/)')
    .action(async (type: string, opts: { version?: number; schemasDir?: string }) => {
      const catalog = await load(opts);
      const found = schemaFor(catalog, type, opts.version);
      if (!found) {
        const known = ['cluster', 'node', ...catalog.moduleTypes().map((t) => t.type)].join(', ');
        io.err(`modmq schema show: no schema for '${type}'${opts.version === undefined ? '' : ` version ${opts.version}`} (known: ${known})`);
        throw new CliExit(1);
      }
      io.out(JSON.stringify(found, null, 2));
    });
  schema
    .command('export')
    .description('Write every schema file into DIR with its folder layout (defs/, cluster/, node/, modules/)')
    .argument('<dir>', 'target directory (created if missing)')
    .option('--schemas-dir <dir>', 'schemas root (default: the bundled schemas/)')
    .action(async (dir: string, opts: { schemasDir?: string }) => {
      const written = await exportSchemas(await load(opts), path.resolve(cwd(), dir));
      io.out(`wrote ${written.length} schema file(s) to ${path.resolve(cwd(), dir)}`);
    });
  return schema;
}

function parseVersion(value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new Error(`--version must be a positive integer, got '${value}'`);
  return Number(value);
}
