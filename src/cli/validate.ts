/** `modmq validate FILE...`: checks cluster documents, module records and node configs in CI. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import type { DocumentKind, ValidationResult } from '../schema/catalog.js';
import type { Problem } from '../schema/problem.js';
import { createSchemaCatalog, type LoadedSchemaCatalog } from '../schema/schema-catalog.js';
import { jsonSyntaxError, locateProblems } from '../schema/source-map.js';
import { parseHoconText } from '../node/hocon.js';
import { buildModuleRegistry } from '../modules/index.js';
import type { ModuleRegistry } from '../modules/runtime/registry.js';
import { CliExit, type CliIo } from './io.js';
import { semanticProblems } from './semantic-checks.js';

export type ValidateFormat = 'text' | 'json' | 'github';
const FORMATS: readonly ValidateFormat[] = ['text', 'json', 'github'];
const KINDS: readonly DocumentKind[] = ['cluster', 'node', 'module'];

export interface ValidateOptions {
  format?: ValidateFormat;
  /** Applies to every file; detected per file when absent. */
  kind?: DocumentKind;
  /** Schemas root (default: the repository's schemas/). */
  schemasDir?: string;
  /** An already loaded catalog (wins over schemasDir). */
  catalog?: LoadedSchemaCatalog;
  /** Base for relative file names (default: process.cwd()). */
  cwd?: string;
  /** Module implementations whose check() also runs (default: the built-in types). */
  registry?: ModuleRegistry;
}

export interface ValidateIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** One file's outcome, as printed by `--format json`. */
export interface FileReport {
  file: string;
  kind: DocumentKind | null;
  valid: boolean;
  problems: Problem[];
  /** Set when the file could not be read or parsed (exit code 2). */
  error?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** cluster: `modules` array or `settings`; module: `type` + `config`; node: `node` or `listeners`. */
export function detectKind(value: unknown): DocumentKind | undefined {
  if (!isObject(value)) return undefined;
  if (Array.isArray(value.modules) || 'settings' in value) return 'cluster';
  if ('type' in value && 'config' in value) return 'module';
  if ('node' in value || 'listeners' in value) return 'node';
  return undefined;
}

const isHocon = (file: string): boolean => /\.(conf|hocon)$/i.test(file);

/**
 * Validates each file and prints the result in `format`. Resolves to the exit code: 0 when every
 * file is valid, 1 when any is invalid, 2 when any could not be read or parsed (2 wins).
 */
export async function runValidate(files: readonly string[], options: ValidateOptions, io: ValidateIo): Promise<number> {
  const format = options.format ?? 'text';
  let catalog = options.catalog;
  if (!catalog) {
    try {
      catalog = await createSchemaCatalog(options.schemasDir === undefined ? {} : { schemasDir: options.schemasDir });
    } catch (error) {
      io.stderr.write(`modmq validate: cannot load schemas: ${(error as Error).message}\n`);
      return 2;
    }
  }
  // Built once for the run: the module types' semantic checks for every file.
  const withRegistry: ValidateOptions = { ...options, registry: options.registry ?? buildModuleRegistry() };
  const reports: FileReport[] = [];
  for (const file of files) reports.push(await validateFile(file, withRegistry, catalog));
  io.stdout.write(render(reports, format));
  if (reports.some((r) => r.error !== undefined)) return 2;
  return reports.every((r) => r.valid) ? 0 : 1;
}

async function validateFile(file: string, options: ValidateOptions, catalog: LoadedSchemaCatalog): Promise<FileReport> {
  const abs = path.resolve(options.cwd ?? process.cwd(), file);
  const unreadable = (error: string, problem: Omit<Problem, 'file'>): FileReport => ({
    file, kind: options.kind ?? null, valid: false, problems: [{ ...problem, file }], error,
  });
  let text: string;
  try {
    text = (await readFile(abs, 'utf8')).replace(/^\uFEFF/, '');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return unreadable(`cannot read: ${reason}`, { pointer: '', keyword: 'read', message: `cannot read file (${reason})` });
  }
  const syntax = isHocon(file) ? 'hocon' : 'json';
  let value: unknown;
  if (syntax === 'json') {
    const bad = jsonSyntaxError(text);
    if (bad) return unreadable(`invalid JSON: ${bad.message}`, { pointer: '', keyword: 'parse', message: `invalid JSON: ${bad.message}`, line: bad.line, column: bad.column });
    value = JSON.parse(text);
  } else {
    try {
      value = await parseHoconText(text, abs);
    } catch (error) {
      const e = error as Error & { line?: number; column?: number };
      // The adapter's message starts with "<file>:<line>:<col>: "; we print the position ourselves.
      const reason = e.message.startsWith(abs) ? e.message.slice(abs.length).replace(/^(:\d+)*:\s*/, '') : e.message;
      const problem: Omit<Problem, 'file'> = { pointer: '', keyword: 'parse', message: `invalid HOCON: ${reason}` };
      if (typeof e.line === 'number') {
        problem.line = e.line;
        problem.column = typeof e.column === 'number' ? e.column : 1;
      }
      return unreadable(problem.message, problem);
    }
  }
  const kind = options.kind ?? detectKind(value);
  if (!kind) {
    const problem: Problem = {
      pointer: '', keyword: 'kind', file, line: 1, column: 1,
      message: 'cannot tell the kind of document (cluster: modules/settings; module: type+config; node: node/listeners); pass --kind',
    };
    return { file, kind: null, valid: false, problems: [problem] };
  }
  const result = validateAs(catalog, kind, value);
  // The module types' own checks too, so a file that passes here is not refused by the node.
  const semantic = semanticProblems(catalog, options.registry ?? buildModuleRegistry(), kind, value);
  const problems = [...(result.ok ? [] : result.problems), ...semantic];
  if (problems.length === 0) return { file, kind, valid: true, problems: [] };
  const located = locateProblems(problems, text, syntax, file);
  // Source order reads best; sort is stable, so equal positions keep the validator's order.
  located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { file, kind, valid: false, problems: located };
}

function validateAs(catalog: LoadedSchemaCatalog, kind: DocumentKind, value: unknown): ValidationResult {
  switch (kind) {
    case 'cluster':
      return catalog.validateCluster(value);
    case 'node':
      return catalog.validateNode(value);
    case 'module':
      return catalog.validateModuleRecord(value);
  }
}

const shownPointer = (pointer: string): string => (pointer === '' ? '(root)' : pointer);

export function render(reports: readonly FileReport[], format: ValidateFormat): string {
  if (format === 'json') return `${JSON.stringify({ files: reports }, null, 2)}\n`;
  const lines: string[] = [];
  for (const report of reports) {
    if (format === 'text' && report.valid) lines.push(`${report.file}: ok (${report.kind})`);
    for (const p of report.problems) {
      if (format === 'github') {
        const where = [`file=${escapeProperty(report.file)}`];
        if (p.line !== undefined) where.push(`line=${p.line}`, `col=${p.column ?? 1}`);
        where.push(`title=${escapeProperty('modmq validate')}`);
        lines.push(`::error ${where.join(',')}::${escapeData(`${shownPointer(p.pointer)}: ${p.message}`)}`);
      } else {
        const at = p.line === undefined ? report.file : `${report.file}:${p.line}:${p.column ?? 1}`;
        lines.push(`${at}: error ${shownPointer(p.pointer)}: ${p.message} [${p.keyword}]`);
      }
    }
  }
  if (format === 'text') {
    const count = (f: (r: FileReport) => boolean): number => reports.filter(f).length;
    lines.push(`${reports.length} file(s): ${count((r) => r.valid)} valid, ${count((r) => !r.valid && r.error === undefined)} invalid, ${count((r) => r.error !== undefined)} unreadable`);
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** GitHub workflow commands: message data escapes %, CR, LF. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** GitHub workflow command properties additionally escape ':' and ','. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** `validate --legacy NODE_DIR...`: the migration pipeline without outputs (same exit codes as migrate). */
async function validateLegacy(dirs: readonly string[], env: readonly string[], cliIo: CliIo | undefined): Promise<number> {
  const { runLegacyValidation } = await import('./migrate.js');
  const io = cliIo ?? {
    out: (line: string) => process.stdout.write(`${line}\n`),
    err: (line: string) => process.stderr.write(`${line}\n`),
    cwd: process.cwd(),
  };
  return runLegacyValidation(dirs, io, {}, env);
}

/** Adds `validate` to the modmq program. With a CliIo, output and exit go through it. */
export function registerValidateCommand(program: Command, cliIo?: CliIo): Command {
  return program
    .command('validate')
    .description('Check cluster documents, module records and node configs (JSON or HOCON) against the schemas')
    .argument('<files...>', 'files to check (.json; .conf/.hocon are read as HOCON)')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
    .addOption(new Option('--kind <kind>', 'document kind (detected per file when absent)').choices(KINDS))
    .option('--schemas-dir <dir>', 'schemas root (default: the bundled schemas/)')
    .option('--legacy', 'the arguments are EMQX 4.x node directories: run the migration checks without writing anything')
    .option('--env <nodeDir=file>', "with --legacy: a node's EMQX_* environment as an env file (as migrate --env); repeatable", (value: string, list: string[]) => [...list, value], [] as string[])
    .action(async (files: string[], opts: { format: ValidateFormat; kind?: DocumentKind; schemasDir?: string; legacy?: boolean; env: string[] }) => {
      if (opts.legacy) {
        const code = await validateLegacy(files, opts.env, cliIo);
        if (code !== 0) throw new CliExit(code);
        return;
      }
      const io: ValidateIo = cliIo
        ? { stdout: { write: (t: string) => cliIo.write(t) }, stderr: { write: (t: string) => cliIo.err(t.replace(/\n$/, '')) } }
        : { stdout: process.stdout, stderr: process.stderr };
      const options: ValidateOptions = { format: opts.format, cwd: cliIo?.cwd ?? process.cwd() };
      if (opts.kind) options.kind = opts.kind;
      if (opts.schemasDir) options.schemasDir = opts.schemasDir;
      const code = await runValidate(files, options, io);
      if (code !== 0) throw new CliExit(code);
    });
}
