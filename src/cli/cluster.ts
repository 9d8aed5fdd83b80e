/**
 * `modmq cluster export FILE [--reveal-secrets]` and `modmq cluster import FILE [--if-match REV]`:
 * the whole cluster document through GET/PUT /api/v1/cluster. FILE `-` is stdout/stdin.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { addApiOptions, parseCount, readDocument, withApi } from './api-command.js';
import { registerClusterViewCommands } from './cluster-nodes.js';
import { CliExit, type CliIo } from './io.js';

interface ClusterAnswer {
  revision?: number;
  document?: { version?: unknown; settings?: unknown; modules?: unknown };
}

/** An import file is a bare document, or an object with `document` (and maybe `revision`). */
function documentOf(value: unknown): { document: unknown; revision?: number } {
  if (typeof value === 'object' && value !== null && 'document' in value) {
    const v = value as { document: unknown; revision?: unknown };
    return typeof v.revision === 'number' ? { document: v.document, revision: v.revision } : { document: v.document };
  }
  return { document: value };
}

export function registerClusterCommand(program: Command, io: CliIo): void {
  const cluster = program.command('cluster').description('the cluster: its document (export, import), nodes, import-from-sqlite');

  addApiOptions(cluster.command('export').argument('<file>', 'output file, or - for stdout'))
    .description('write {version, settings, modules} as JSON')
    .option('--reveal-secrets', 'include secret fields in clear (admin only)')
    .action(async (file: string, opts: { revealSecrets?: boolean }, cmd: Command) =>
      withApi(io, cmd, async (client) => {
        const answer = await client.request<ClusterAnswer>('GET', '/cluster', {
          query: { reveal_secrets: opts.revealSecrets ? true : undefined },
        });
        const doc = answer?.document ?? {};
        const text = `${JSON.stringify({ version: doc.version, settings: doc.settings, modules: doc.modules }, null, 2)}\n`;
        if (file === '-') {
          io.write(text);
          return;
        }
        const target = resolve(io.cwd, file);
        try {
          await writeFile(target, text, { mode: 0o600 });
        } catch (err) {
          io.err(`${file}: ${err instanceof Error ? err.message : String(err)}`);
          throw new CliExit(1);
        }
        io.out(`exported revision ${answer?.revision ?? '?'} to ${file}`);
      }),
    );

  addApiOptions(cluster.command('import').argument('<file>', 'JSON or HOCON document, or - for JSON on stdin'))
    .description('replace the cluster document (validated by the node; compare-and-set with --if-match)')
    .option('--if-match <rev>', 'fail unless the current revision is REV', parseCount)
    .action(async (file: string, opts: { ifMatch?: number }, cmd: Command) =>
      withApi(io, cmd, async (client) => {
        const { document, revision } = documentOf(await readDocument(io, file));
        const base = opts.ifMatch ?? revision;
        const body: Record<string, unknown> = { document };
        if (base !== undefined) body['revision'] = base;
        const answer = await client.request<ClusterAnswer>('PUT', '/cluster', { body, ifMatch: base });
        io.out(`imported ${file}${answer?.revision === undefined ? '' : ` (revision ${answer.revision})`}`);
      }),
    );
  registerClusterViewCommands(cluster, io);
}
