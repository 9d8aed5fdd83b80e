/**
 * Writes a migration outcome to `--out DIR`:
 * - cluster.json (validated against schemas/cluster/v1.json by the pipeline; not written when
 *   invalid or in conflict: a document that does not describe the old cluster must not be applied),
 *   cluster.conf too with `--format hocon`;
 * - nodes/<name>.conf: each node's HOCON node config (only what the legacy node set);
 * - builtin-db-users.json: auth_mnesia users and acl_mnesia rows of an EE export, for the
 *   auth-builtin-db import (issue 4);
 * - report.json and report.md, always.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emitHocon } from '../node/hocon-emit.js';
import type { MigrationOutcome } from './pipeline.js';
import { renderMarkdown } from './report.js';

export type OutputFormat = 'json' | 'hocon';

/** Writes every output; resolves to the paths written, relative to `outDir`. */
export async function writeOutputs(outDir: string, outcome: MigrationOutcome, format: OutputFormat = 'json'): Promise<string[]> {
  const written: string[] = [];
  const put = async (name: string, text: string): Promise<void> => {
    const file = path.join(outDir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text, 'utf8');
    written.push(name);
  };
  if (outcome.document) {
    await put('cluster.json', `${JSON.stringify(outcome.document, null, 2)}\n`);
    if (format === 'hocon') await put('cluster.conf', emitHocon(outcome.document));
  }
  for (const [name, config] of outcome.nodeConfigs) await put(`nodes/${name}.conf`, emitHocon(config));
  if (outcome.builtinDb) {
    await put('builtin-db-users.json', `${JSON.stringify({ version: 1, source: 'emqx-ee-export', ...outcome.builtinDb }, null, 2)}\n`);
  }
  if (outcome.report) {
    await put('report.json', `${JSON.stringify(outcome.report, null, 2)}\n`);
    await put('report.md', renderMarkdown(outcome.report));
  }
  return written;
}
