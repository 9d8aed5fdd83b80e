/** `modmq api-keys create NAME [--role admin|viewer] | list | revoke ID` over /api/v1/api-keys. */
import { Option, type Command } from 'commander';
import { addApiOptions, withApi } from './api-command.js';
import { formatTable, type CliIo } from './io.js';

interface ApiKeyView {
  id: string;
  name?: string;
  role?: string;
  createdAt?: string;
  created_at?: string;
  secret?: string;
}

export function registerApiKeysCommand(program: Command, io: CliIo): void {
  const keys = program.command('api-keys').description('manage API keys (HTTP Basic <key id>:<key secret>)');

  addApiOptions(keys.command('create').argument('<name>').description('create a key; its secret is shown once'))
    .addOption(new Option('--role <role>', 'what the key may do').choices(['admin', 'viewer']).default('viewer'))
    .action(async (name: string, opts: { role: string }, cmd: Command) =>
      withApi(io, cmd, async (client) => {
        const answer = await client.request<ApiKeyView & { key?: ApiKeyView }>('POST', '/api-keys', {
          body: { name, role: opts.role },
        });
        const key = answer?.key ?? answer;
        io.out(`created API key ${key.id} (${key.role ?? opts.role})`);
        const secret = key.secret ?? answer?.secret;
        if (secret !== undefined) {
          io.out(`secret: ${secret}`);
          io.out('store the secret now: it is not shown again');
        }
      }),
    );

  addApiOptions(keys.command('list').description('list API keys (never their secrets)')).action(
    async (_opts: unknown, cmd: Command) =>
      withApi(io, cmd, async (client) => {
        const body = await client.request<unknown>('GET', '/api-keys');
        const items = (Array.isArray(body) ? body : ((body as { keys?: unknown[] })?.keys ?? [])) as ApiKeyView[];
        const rows = items.map((k) => [k.id, k.name ?? '', k.role ?? '', k.createdAt ?? k.created_at ?? '']);
        for (const line of formatTable(['ID', 'NAME', 'ROLE', 'CREATED'], rows)) io.out(line);
      }),
  );

  addApiOptions(keys.command('revoke').argument('<id>').description('revoke an API key')).action(
    async (id: string, _opts: unknown, cmd: Command) =>
      withApi(io, cmd, async (client) => {
        await client.request('DELETE', `/api-keys/${encodeURIComponent(id)}`);
        io.out(`revoked API key ${id}`);
      }),
  );
}
