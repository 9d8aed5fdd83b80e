/**
 * `modmq modules list | show | add | update | enable | disable | remove | history | rollback`:
 * thin wrappers over /api/v1/modules and /api/v1/revisions. Every write prints the new revision.
 */
import type { Command } from 'commander';
import type { ApiClient } from './api-client.js';
import { addApiOptions, parseConfigOption, parseCount, withApi } from './api-command.js';
import { CliExit, formatTable, type CliIo } from './io.js';
import { formatModuleNodes, type ModuleOnNode } from './node-summary.js';

interface ModuleView {
  id: string;
  type: string;
  schemaVersion?: number;
  enabled: boolean;
  config?: unknown;
  description?: string;
  status?: { state?: string; error?: string; reason?: string };
  /** In a cluster: the module on every live node. */
  nodes?: ModuleOnNode[];
}

interface WriteAnswer {
  revision?: number;
  module?: ModuleView;
}

const path = (id: string): string => `/modules/${encodeURIComponent(id)}`;

function revisionNote(answer: unknown): string {
  const rev = (answer as WriteAnswer | undefined)?.revision;
  return rev === undefined ? '' : ` (revision ${rev})`;
}

async function list(io: CliIo, client: ApiClient, json: boolean): Promise<void> {
  const body = await client.request<{
    revision?: number;
    appliedRevision?: number;
    node?: string;
    cluster?: string | null;
    clusterError?: string;
    modules?: ModuleView[];
  }>('GET', '/modules');
  if (json) {
    io.out(JSON.stringify(body, null, 2));
    return;
  }
  // In a cluster a NODES column says where each module runs or fails; a lone node keeps the short table.
  const inCluster = typeof body.cluster === 'string';
  const rows = (body.modules ?? []).map((m) => [
    m.id,
    m.type,
    m.enabled ? 'yes' : 'no',
    m.status?.state ?? '-',
    ...(inCluster ? [formatModuleNodes(m.nodes ?? [])] : []),
    m.status?.error ?? m.status?.reason ?? '',
  ]);
  const header = ['ID', 'TYPE', 'ENABLED', 'STATE', ...(inCluster ? ['NODES'] : []), 'ERROR'];
  for (const line of formatTable(header, rows)) io.out(line);
  if (body.clusterError !== undefined) io.err(`warning: ${body.clusterError}`);
  const applied = body.appliedRevision === undefined ? '' : `, applied ${body.appliedRevision}`;
  const node = body.node === undefined ? '' : ` on ${body.node}`;
  const cluster = inCluster ? ` (cluster ${body.cluster})` : '';
  if (body.revision !== undefined) io.out(`revision ${body.revision}${applied}${node}${cluster}`);
}

interface AddOptions {
  config?: string;
  id?: string;
  disabled?: boolean;
  description?: string;
  ifMatch?: number;
}

async function add(io: CliIo, client: ApiClient, type: string, opts: AddOptions): Promise<void> {
  const body: Record<string, unknown> = {
    type,
    config: opts.config === undefined ? {} : await parseConfigOption(io, opts.config),
    enabled: !opts.disabled,
  };
  if (opts.id !== undefined) body['id'] = opts.id;
  if (opts.description !== undefined) body['description'] = opts.description;
  const answer = await client.request<WriteAnswer>('POST', '/modules', { body, ifMatch: opts.ifMatch });
  io.out(`added ${answer?.module?.id ?? opts.id ?? type}${revisionNote(answer)}`);
}

interface UpdateOptions {
  config?: string;
  description?: string;
  ifMatch?: number;
}

/** PUT /modules/{id} is a patch: only the given fields change. */
async function update(io: CliIo, client: ApiClient, id: string, opts: UpdateOptions): Promise<void> {
  if (opts.config === undefined && opts.description === undefined) {
    io.err('nothing to update: give --config and/or --description');
    throw new CliExit(1);
  }
  const body: Record<string, unknown> = {};
  if (opts.config !== undefined) body['config'] = await parseConfigOption(io, opts.config);
  if (opts.description !== undefined) body['description'] = opts.description;
  const answer = await client.request('PUT', path(id), { body, ifMatch: opts.ifMatch });
  io.out(`updated ${id}${revisionNote(answer)}`);
}

async function history(io: CliIo, client: ApiClient, limit: number | undefined): Promise<void> {
  const body = await client.request<unknown>('GET', '/revisions', { query: { limit } });
  const entries = (Array.isArray(body) ? body : ((body as { revisions?: unknown[] })?.revisions ?? [])) as Array<
    Record<string, unknown>
  >;
  const rows = entries.map((e) => [
    String(e['revision'] ?? ''),
    String(e['at'] ?? ''),
    String(e['author'] ?? ''),
    String(e['summary'] ?? ''),
  ]);
  for (const line of formatTable(['REVISION', 'AT', 'AUTHOR', 'SUMMARY'], rows)) io.out(line);
}

export function registerModulesCommand(program: Command, io: CliIo): void {
  const modules = program.command('modules').description('manage the modules of the running cluster');

  addApiOptions(modules.command('list').description('list modules with their status on this node'))
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => withApi(io, cmd, (c) => list(io, c, !!opts.json)));

  addApiOptions(modules.command('show').argument('<id>').description('print one module as JSON')).action(
    async (id: string, _opts: unknown, cmd: Command) =>
      withApi(io, cmd, async (c) => io.out(JSON.stringify(await c.request('GET', path(id)), null, 2))),
  );

  addApiOptions(modules.command('add').argument('<type>').description('add a module of TYPE'))
    .option('--config <json|@file>', 'module config as JSON, or @file (JSON or HOCON)')
    .option('--id <id>', 'module id (default: the type, for singletons)')
    .option('--disabled', 'store it disabled')
    .option('--description <text>', 'free text shown in listings')
    .option('--if-match <rev>', 'fail unless the current revision is REV', parseCount)
    .action(async (type: string, opts: AddOptions, cmd: Command) => withApi(io, cmd, (c) => add(io, c, type, opts)));

  addApiOptions(modules.command('update').argument('<id>').description('change a module\'s config or description'))
    .option('--config <json|@file>', 'new module config as JSON, or @file (JSON or HOCON)')
    .option('--description <text>', 'new description')
    .option('--if-match <rev>', 'fail unless the current revision is REV', parseCount)
    .action(async (id: string, opts: UpdateOptions, cmd: Command) => withApi(io, cmd, (c) => update(io, c, id, opts)));

  for (const [verb, done] of [
    ['enable', 'enabled'],
    ['disable', 'disabled'],
  ] as const) {
    addApiOptions(modules.command(verb).argument('<id>').description(`${verb} a module`))
      .option('--if-match <rev>', 'fail unless the current revision is REV', parseCount)
      .action(async (id: string, opts: { ifMatch?: number }, cmd: Command) =>
        withApi(io, cmd, async (c) => {
          const answer = await c.request('POST', `${path(id)}/${verb}`, { ifMatch: opts.ifMatch });
          io.out(`${done} ${id}${revisionNote(answer)}`);
        }),
      );
  }

  addApiOptions(modules.command('remove').argument('<id>').description('remove a module'))
    .option('--if-match <rev>', 'fail unless the current revision is REV', parseCount)
    .action(async (id: string, opts: { ifMatch?: number }, cmd: Command) =>
      withApi(io, cmd, async (c) => {
        const answer = await c.request('DELETE', path(id), { ifMatch: opts.ifMatch });
        io.out(`removed ${id}${revisionNote(answer)}`);
      }),
    );

  addApiOptions(modules.command('history').description('list config revisions (newest first)'))
    .option('--limit <n>', 'how many revisions', parseCount)
    .action(async (opts: { limit?: number }, cmd: Command) => withApi(io, cmd, (c) => history(io, c, opts.limit)));

  addApiOptions(modules.command('rollback').description('restore an earlier revision as a new revision'))
    .requiredOption('--to <rev>', 'the revision to restore', parseCount)
    .action(async (opts: { to: number }, cmd: Command) =>
      withApi(io, cmd, async (c) => {
        const answer = await c.request('POST', `/revisions/${opts.to}/restore`);
        io.out(`restored revision ${opts.to}${revisionNote(answer)}`);
      }),
    );
}
