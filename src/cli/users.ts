/**
 * `modmq users list|add|update|remove|import FILE|acl list|add|remove` over
 * /api/v1/auth/builtin-db (the auth-builtin-db module must run on the node asked).
 */
import { Option, type Command } from 'commander';
import { addApiOptions, parseCount, readDocument, withApi } from './api-command.js';
import { CliExit, formatTable, type CliIo } from './io.js';

interface UserView {
  kind: string;
  id: string;
  is_superuser?: boolean;
  hash_algorithm?: string;
  created_at?: string;
}
interface AclView {
  kind: string;
  username?: string;
  clientid?: string;
  topic: string;
  action: string;
  permission: string;
}
interface Page<T> {
  items: T[];
  total: number;
}
interface ImportReport {
  users: { inserted: number; replaced: number; skipped: number; failed: number };
  acl: { inserted: number; failed: number };
  problems: Array<{ pointer?: string; message?: string }>;
}

const BASE = '/auth/builtin-db';
const KINDS = ['username', 'clientid'];
const path = (kind: string, id: string): string => `${BASE}/users/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;

function checkKind(io: CliIo, kind: string): void {
  if (!KINDS.includes(kind)) {
    io.err(`kind must be username or clientid, got "${kind}"`);
    throw new CliExit(1);
  }
}

/** The password from --password or, with --password-stdin, the first line of stdin. */
async function passwordOf(io: CliIo, opts: { password?: string; passwordStdin?: boolean }): Promise<string | undefined> {
  if (opts.passwordStdin) return (await io.readStdin()).replace(/\r?\n$/, '');
  return opts.password;
}

const passwordOptions = (cmd: Command): Command =>
  cmd
    .option('--password <password>', 'plain-text password (stored hashed)')
    .option('--password-stdin', 'read the password from stdin (keeps it out of the process list)');

export function registerUsersCommand(program: Command, io: CliIo): void {
  const users = program.command('users').description('users and ACL rules of the built-in auth DB (auth-builtin-db module)');

  addApiOptions(users.command('list').description('list users (never their passwords)'))
    .addOption(new Option('--kind <kind>', 'only usernames or client ids').choices(KINDS))
    .option('--like <text>', 'ids containing this text')
    .option('--limit <n>', 'page size', parseCount)
    .option('--offset <n>', 'skip this many', parseCount)
    .action(async (opts: { kind?: string; like?: string; limit?: number; offset?: number }, cmd: Command) =>
      withApi(io, cmd, async (client) => {
        const page = await client.request<Page<UserView>>('GET', `${BASE}/users`, {
          query: { kind: opts.kind, like: opts.like, limit: opts.limit, offset: opts.offset },
        });
        const rows = page.items.map((u) => [u.kind, u.id, u.is_superuser ? 'yes' : 'no', u.hash_algorithm ?? '', u.created_at ?? '']);
        for (const line of formatTable(['KIND', 'ID', 'SUPERUSER', 'HASH', 'CREATED'], rows)) io.out(line);
        if (page.total > page.items.length) io.out(`(${page.items.length} of ${page.total})`);
      }),
    );

  passwordOptions(addApiOptions(users.command('add').argument('<kind>', 'username or clientid').argument('<id>')))
    .description('add a user')
    .option('--superuser', 'the user bypasses ACL')
    .action(async (kind: string, id: string, opts: { password?: string; passwordStdin?: boolean; superuser?: boolean }, cmd: Command) => {
      checkKind(io, kind);
      const password = await passwordOf(io, opts);
      if (password === undefined || password === '') {
        io.err('a password is required (--password or --password-stdin)');
        throw new CliExit(1);
      }
      await withApi(io, cmd, async (client) => {
        await client.request('POST', `${BASE}/users`, { body: { [kind]: id, password, is_superuser: opts.superuser === true } });
        io.out(`added ${kind} ${id}${opts.superuser ? ' (superuser)' : ''}`);
      });
    });

  passwordOptions(addApiOptions(users.command('update').argument('<kind>', 'username or clientid').argument('<id>')))
    .description("change a user's password and/or superuser flag")
    .option('--superuser', 'make the user a superuser')
    .option('--no-superuser', 'make the user an ordinary user')
    .action(async (kind: string, id: string, opts: { password?: string; passwordStdin?: boolean; superuser?: boolean }, cmd: Command) => {
      checkKind(io, kind);
      const body: Record<string, unknown> = {};
      const password = await passwordOf(io, opts);
      if (password !== undefined) body['password'] = password;
      // commander sets superuser=true by default because of --no-superuser; only an explicit flag counts.
      const source = cmd.getOptionValueSource('superuser');
      if (source === 'cli') body['is_superuser'] = opts.superuser === true;
      if (Object.keys(body).length === 0) {
        io.err('nothing to change: give --password, --password-stdin, --superuser or --no-superuser');
        throw new CliExit(1);
      }
      await withApi(io, cmd, async (client) => {
        await client.request('PUT', path(kind, id), { body });
        io.out(`updated ${kind} ${id}`);
      });
    });

  addApiOptions(users.command('remove').argument('<kind>', 'username or clientid').argument('<id>'))
    .description('remove a user')
    .action(async (kind: string, id: string, _opts: unknown, cmd: Command) => {
      checkKind(io, kind);
      await withApi(io, cmd, async (client) => {
        await client.request('DELETE', path(kind, id));
        io.out(`removed ${kind} ${id}`);
      });
    });

  addApiOptions(users.command('import').argument('<file>', 'JSON: ours, builtin-db-users.json, or an EMQX 4.x export; - for stdin'))
    .description('bulk import users and ACL rules')
    .option('--overwrite', 'replace users that exist (default: keep them)')
    .addOption(new Option('--password-hash <alg>', 'hash of imported 4.x secrets (default: guessed)').choices(['plain', 'md5', 'sha', 'sha256', 'sha512']))
    .addOption(new Option('--as <kind>', 'kind of 4.x users without a type (4.2 auth.mnesia.as)').choices(KINDS))
    .action(async (file: string, opts: { overwrite?: boolean; passwordHash?: string; as?: string }, cmd: Command) => {
      const body = await readDocument(io, file);
      await withApi(io, cmd, async (client) => {
        const r = await client.request<ImportReport>('POST', `${BASE}/import`, {
          body,
          query: { overwrite: opts.overwrite === true ? true : undefined, password_hash: opts.passwordHash, as: opts.as },
        });
        io.out(`users: ${r.users.inserted} inserted, ${r.users.replaced} replaced, ${r.users.skipped} skipped (existing), ${r.users.failed} failed`);
        io.out(`acl rules: ${r.acl.inserted} inserted, ${r.acl.failed} failed`);
        for (const p of r.problems) io.err(`  ${p.pointer || '/'}: ${p.message ?? ''}`);
        if (r.users.failed + r.acl.failed > 0) throw new CliExit(1);
      });
    });

  const acl = users.command('acl').description('ACL rules of the built-in auth DB');

  addApiOptions(acl.command('list').description('list ACL rules'))
    .addOption(new Option('--kind <kind>', 'whose rules').choices(['username', 'clientid', 'all']))
    .option('--id <id>', 'the username or client id')
    .option('--limit <n>', 'page size', parseCount)
    .option('--offset <n>', 'skip this many', parseCount)
    .action(async (opts: { kind?: string; id?: string; limit?: number; offset?: number }, cmd: Command) =>
      withApi(io, cmd, async (client) => {
        const page = await client.request<Page<AclView>>('GET', `${BASE}/acl`, {
          query: { kind: opts.kind, id: opts.id, limit: opts.limit, offset: opts.offset },
        });
        const rows = page.items.map((r) => [r.kind, r.username ?? r.clientid ?? '$all', r.action, r.permission, r.topic]);
        for (const line of formatTable(['KIND', 'LOGIN', 'ACTION', 'PERMISSION', 'TOPIC'], rows)) io.out(line);
        if (page.total > page.items.length) io.out(`(${page.items.length} of ${page.total})`);
      }),
    );

  addApiOptions(acl.command('add').description('add a rule (for a username, a client id, or all clients)'))
    .requiredOption('--topic <filter>', 'topic filter; %u / %c as a whole level')
    .addOption(new Option('--action <action>', 'what it controls').choices(['pub', 'sub', 'pubsub']).makeOptionMandatory())
    .addOption(new Option('--permission <permission>', 'allow or deny').choices(['allow', 'deny']).makeOptionMandatory())
    .option('--username <username>', 'the rule is for this username')
    .option('--clientid <clientid>', 'the rule is for this client id')
    .action(async (opts: { topic: string; action: string; permission: string; username?: string; clientid?: string }, cmd: Command) => {
      if (opts.username !== undefined && opts.clientid !== undefined) {
        io.err('give --username or --clientid, not both (neither: all clients)');
        throw new CliExit(1);
      }
      await withApi(io, cmd, async (client) => {
        const body: Record<string, unknown> = { topic: opts.topic, action: opts.action, permission: opts.permission };
        if (opts.username !== undefined) body['username'] = opts.username;
        if (opts.clientid !== undefined) body['clientid'] = opts.clientid;
        await client.request('POST', `${BASE}/acl`, { body });
        const who = opts.username !== undefined ? `username ${opts.username}` : opts.clientid !== undefined ? `clientid ${opts.clientid}` : 'all';
        io.out(`added ${opts.permission} ${opts.action} ${opts.topic} for ${who}`);
      });
    });

  addApiOptions(acl.command('remove').description("remove a login's rules for a topic"))
    .addOption(new Option('--kind <kind>', 'whose rule').choices(['username', 'clientid', 'all']).makeOptionMandatory())
    .option('--id <id>', 'the username or client id (not for all)')
    .requiredOption('--topic <filter>', 'the rule topic')
    .addOption(new Option('--action <action>', 'only this action (default both)').choices(['pub', 'sub', 'pubsub']))
    .action(async (opts: { kind: string; id?: string; topic: string; action?: string }, cmd: Command) =>
      withApi(io, cmd, async (client) => {
        const r = await client.request<{ removed: number }>('DELETE', `${BASE}/acl`, {
          query: { kind: opts.kind, id: opts.id, topic: opts.topic, action: opts.action },
        });
        io.out(`removed ${r.removed} rule(s)`);
      }),
    );
}
