/** Shared plumbing for commands that talk to the management API (`--api`, `--auth`, exit codes). */
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { parseHoconFile } from '../node/hocon.js';
import { ApiClient, reportApiError } from './api-client.js';
import { CliExit, type CliIo } from './io.js';

export function addApiOptions(cmd: Command): Command {
  return cmd
    .option('--api <url>', 'management API base URL (env MODMQ_API_URL, default http://127.0.0.1:18083)')
    .option('--auth <user:secret>', 'credentials (env MODMQ_API_AUTH, else admin:$MODMQ_ADMIN_PASSWORD)');
}

/** Runs one API command: builds the client from the command's options and maps failures to exit codes. */
export async function withApi(
  io: CliIo,
  cmd: Command,
  run: (client: ApiClient) => Promise<void>,
): Promise<void> {
  const opts = cmd.optsWithGlobals<{ api?: string; auth?: string }>();
  const client = new ApiClient(io, { api: opts.api, auth: opts.auth });
  try {
    await run(client);
  } catch (err) {
    if (err instanceof CliExit) throw err;
    throw new CliExit(reportApiError(err, io));
  }
}

/** Reads a JSON or HOCON document: `.json` strictly as JSON, anything else through the HOCON adapter. */
export async function readDocument(io: CliIo, file: string): Promise<unknown> {
  try {
    if (file === '-') return JSON.parse(await io.readStdin()) as unknown;
    const path = resolve(io.cwd, file);
    if (extname(path).toLowerCase() === '.json') return JSON.parse(await readFile(path, 'utf8')) as unknown;
    return await parseHoconFile(path);
  } catch (err) {
    io.err(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    throw new CliExit(1);
  }
}

/** `--config` value: inline JSON, or `@file` (JSON or HOCON). */
export async function parseConfigOption(io: CliIo, value: string): Promise<unknown> {
  if (value.startsWith('@')) return readDocument(io, value.slice(1));
  try {
    return JSON.parse(value) as unknown;
  } catch (err) {
    io.err(`--config: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    throw new CliExit(1);
  }
}

/** A `--if-match`/`--to`/`--limit` value: a non-negative integer (else a usage error). */
export function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  }
  return n;
}
