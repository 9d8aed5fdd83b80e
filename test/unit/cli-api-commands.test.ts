import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Command } from 'commander';
import { registerApiKeysCommand } from '../../src/cli/api-keys.js';
import { registerClusterCommand } from '../../src/cli/cluster.js';
import type { CliIo } from '../../src/cli/io.js';
import { registerModulesCommand } from '../../src/cli/modules.js';
import { configureRoot, runCommand } from '../../src/cli/run.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}
type Reply = { status: number; body?: unknown };

let server: Server;
let baseUrl: string;
let dir: string;
let seen: Seen[] = [];
let reply: (req: Seen) => Reply = () => ({ status: 200, body: {} });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modmq-cli-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined };
      seen.push(s);
      const r = reply(s);
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(r.body === undefined ? '' : JSON.stringify(r.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
  reply = () => ({ status: 200, body: {} });
});

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string[]; err: string[]; written: string }> {
  const out: string[] = [];
  const err: string[] = [];
  let written = '';
  const io: CliIo = {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    write: (t) => {
      written += t;
    },
    env: { MODMQ_API_URL: baseUrl, MODMQ_API_AUTH: 'admin:pw', ...env },
    cwd: dir,
    readStdin: async () => '',
    fetch: globalThis.fetch.bind(globalThis),
  };
  const program = configureRoot(new Command('modmq'), io);
  registerModulesCommand(program, io);
  registerClusterCommand(program, io);
  registerApiKeysCommand(program, io);
  const code = await runCommand(program, argv, io);
  return { code, out, err, written };
}

const basic = (auth: string): string => `Basic ${Buffer.from(auth).toString('base64')}`;

describe('modmq modules', () => {
  test('list prints a table with state and error', async () => {
    reply = () => ({
      status: 200,
      body: {
        revision: 7,
        appliedRevision: 7,
        node: 'n1',
        modules: [
          { id: 'presence', type: 'presence', enabled: true, status: { state: 'running' } },
          { id: 'topic-rewrite', type: 'topic-rewrite', enabled: false, status: { state: 'failed', error: 'bad regex' } },
        ],
      },
    });
    const r = await run(['modules', 'list']);
    assert.equal(r.code, 0);
    assert.equal(seen[0]?.method, 'GET');
    assert.equal(seen[0]?.url, '/api/v1/modules');
    assert.equal(seen[0]?.headers.authorization, basic('admin:pw'));
    assert.match(r.out[0] ?? '', /^ID\s+TYPE\s+ENABLED\s+STATE\s+ERROR$/);
    assert.match(r.out[1] ?? '', /^presence\s+presence\s+yes\s+running$/);
    assert.match(r.out[2] ?? '', /^topic-rewrite\s+topic-rewrite\s+no\s+failed\s+bad regex$/);
    assert.equal(r.out[3], 'revision 7, applied 7 on n1');
  });

  test('list in a cluster adds a NODES column: where the module runs, where it fails and why', async () => {
    reply = () => ({
      status: 200,
      body: {
        revision: 9,
        appliedRevision: 9,
        node: 'n1',
        cluster: 'prod',
        clusterError: 'cannot read the cluster from Redis: down',
        modules: [
          {
            id: 'auth-jwt',
            type: 'auth-jwt',
            enabled: true,
            status: { state: 'running' },
            nodes: [
              { node: 'n1', state: 'running' },
              { node: 'n2', state: 'failed', error: 'ENOENT jwt.pem' },
              { node: 'n3', state: 'running' },
            ],
          },
        ],
      },
    });
    const r = await run(['modules', 'list']);
    assert.equal(r.code, 0);
    assert.match(r.out[0] ?? '', /^ID\s+TYPE\s+ENABLED\s+STATE\s+NODES\s+ERROR$/);
    assert.match(r.out[1] ?? '', /^auth-jwt\s+auth-jwt\s+yes\s+running\s+running 2\/3, failed on n2: ENOENT jwt\.pem$/);
    assert.equal(r.out[2], 'revision 9, applied 9 on n1 (cluster prod)');
    assert.deepEqual(r.err, ['warning: cannot read the cluster from Redis: down']);
  });

  test('list --json prints the answer', async () => {
    reply = () => ({ status: 200, body: { revision: 1, modules: [] } });
    const r = await run(['modules', 'list', '--json']);
    assert.deepEqual(JSON.parse(r.out.join('\n')), { revision: 1, modules: [] });
  });

  test('add sends type, config, flags and If-Match, prints the revision', async () => {
    reply = () => ({ status: 201, body: { revision: 8, module: { id: 'presence', type: 'presence', enabled: false } } });
    const r = await run(['modules', 'add', 'presence', '--config', '{"qos":1}', '--disabled', '--description', 'hi', '--if-match', '7', '--id', 'presence']);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(seen[0]?.method, 'POST');
    assert.equal(seen[0]?.url, '/api/v1/modules');
    assert.equal(seen[0]?.headers['if-match'], '7');
    assert.deepEqual(seen[0]?.body, { type: 'presence', config: { qos: 1 }, enabled: false, description: 'hi', id: 'presence' });
    assert.deepEqual(r.out, ['added presence (revision 8)']);
  });

  test('add --config @file reads JSON or HOCON', async () => {
    await writeFile(join(dir, 'rw.conf'), 'rules = [{ action = publish, source_topic = "a/#", re = "^a/(.+)$", dest_topic = "b/$1" }]\n');
    reply = () => ({ status: 201, body: { revision: 2, module: { id: 'topic-rewrite' } } });
    const r = await run(['modules', 'add', 'topic-rewrite', '--config', '@rw.conf']);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.deepEqual(seen[0]?.body, {
      type: 'topic-rewrite',
      enabled: true,
      config: { rules: [{ action: 'publish', source_topic: 'a/#', re: '^a/(.+)$', dest_topic: 'b/$1' }] },
    });
  });

  test('a 400 prints code, message and problems, exit 1', async () => {
    reply = () => ({
      status: 400,
      body: { code: 'MODMQ_INVALID_CONFIG', message: 'invalid module config', problems: [{ pointer: '/qos', keyword: 'enum', message: 'must be 0, 1 or 2' }] },
    });
    const r = await run(['modules', 'add', 'presence', '--config', '{"qos":5}']);
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, ['MODMQ_INVALID_CONFIG: invalid module config', '  /qos: must be 0, 1 or 2 [enum]']);
  });

  test('a 409 exits 1', async () => {
    reply = () => ({ status: 409, body: { code: 'MODMQ_REVISION_CONFLICT', message: 'revision 9 is not 7' } });
    const r = await run(['modules', 'remove', 'presence', '--if-match', '7']);
    assert.equal(r.code, 1);
    assert.equal(seen[0]?.method, 'DELETE');
    assert.equal(seen[0]?.url, '/api/v1/modules/presence');
    assert.deepEqual(r.err, ['MODMQ_REVISION_CONFLICT: revision 9 is not 7']);
  });

  test('an unreachable node exits 2', async () => {
    const r = await run(['modules', 'list', '--api', 'http://127.0.0.1:1']);
    assert.equal(r.code, 2);
    assert.match(r.err[0] ?? '', /cannot reach the modmq API at http:\/\/127\.0\.0\.1:1/);
  });

  test('update sends only the given fields', async () => {
    reply = () => ({ status: 200, body: { revision: 9, module: { id: 'presence' } } });
    const r = await run(['modules', 'update', 'presence', '--config', '{"qos":2}']);
    assert.equal(r.code, 0);
    assert.equal(seen[0]?.method, 'PUT');
    assert.deepEqual(seen[0]?.body, { config: { qos: 2 } });
    assert.equal(seen[0]?.headers['if-match'], undefined);
    assert.deepEqual(r.out, ['updated presence (revision 9)']);
    const none = await run(['modules', 'update', 'presence']);
    assert.equal(none.code, 1);
  });

  test('enable, disable, show, history, rollback', async () => {
    reply = (s) => {
      if (s.url.startsWith('/api/v1/revisions?')) {
        return { status: 200, body: [{ revision: 3, at: '2026-01-01T00:00:00Z', author: 'admin', summary: 'add module presence' }] };
      }
      if (s.method === 'GET') return { status: 200, body: { revision: 3, module: { id: 'a/b' } } };
      return { status: 200, body: { revision: 4 } };
    };
    assert.deepEqual((await run(['modules', 'enable', 'presence'])).out, ['enabled presence (revision 4)']);
    assert.deepEqual((await run(['modules', 'disable', 'presence'])).out, ['disabled presence (revision 4)']);
    const show = await run(['modules', 'show', 'a/b']);
    assert.deepEqual(JSON.parse(show.out.join('\n')), { revision: 3, module: { id: 'a/b' } });
    const hist = await run(['modules', 'history', '--limit', '5']);
    assert.match(hist.out[1] ?? '', /^3\s+2026-01-01T00:00:00Z\s+admin\s+add module presence$/);
    assert.deepEqual((await run(['modules', 'rollback', '--to', '3'])).out, ['restored revision 3 (revision 4)']);
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      [
        'POST /api/v1/modules/presence/enable',
        'POST /api/v1/modules/presence/disable',
        'GET /api/v1/modules/a%2Fb',
        'GET /api/v1/revisions?limit=5',
        'POST /api/v1/revisions/3/restore',
      ],
    );
  });

  test('bad numbers are usage errors (exit 1, no request)', async () => {
    const r = await run(['modules', 'rollback', '--to', 'abc']);
    assert.equal(r.code, 1);
    assert.equal(seen.length, 0);
  });

  test('credentials: --auth, else MODMQ_ADMIN_PASSWORD', async () => {
    reply = () => ({ status: 200, body: { modules: [] } });
    await run(['modules', 'list', '--auth', 'key1:s3cret']);
    assert.equal(seen[0]?.headers.authorization, basic('key1:s3cret'));
    const out: string[] = [];
    const io: CliIo = {
      out: (l) => out.push(l), err: () => {}, write: () => {}, cwd: dir, readStdin: async () => '',
      env: { MODMQ_API_URL: baseUrl, MODMQ_ADMIN_PASSWORD: 'adm' }, fetch: globalThis.fetch.bind(globalThis),
    };
    const program = configureRoot(new Command('modmq'), io);
    registerModulesCommand(program, io);
    assert.equal(await runCommand(program, ['modules', 'list'], io), 0);
    assert.equal(seen[1]?.headers.authorization, basic('admin:adm'));
  });
});

describe('modmq cluster', () => {
  const document = { version: 1, settings: { allow_anonymous: false }, modules: [{ id: 'presence', type: 'presence', schemaVersion: 1, enabled: true, config: { qos: 0 } }] };

  test('export writes {version, settings, modules}; --reveal-secrets asks for them', async () => {
    reply = () => ({ status: 200, body: { revision: 5, document } });
    const r = await run(['cluster', 'export', 'out.json', '--reveal-secrets']);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(seen[0]?.url, '/api/v1/cluster?reveal_secrets=true');
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'out.json'), 'utf8')), document);
    assert.deepEqual(r.out, ['exported revision 5 to out.json']);
    const s = await run(['cluster', 'export', '-']);
    assert.equal(seen[1]?.url, '/api/v1/cluster');
    assert.deepEqual(JSON.parse(s.written), document);
  });

  test('import reads HOCON and PUTs {document, revision} with If-Match', async () => {
    await writeFile(join(dir, 'cluster.conf'), 'version = 1\nsettings { allow_anonymous = false }\nmodules = [{ id = presence, type = presence, schemaVersion = 1, enabled = true, config { qos = 0 } }]\n');
    reply = () => ({ status: 200, body: { revision: 6, document } });
    const r = await run(['cluster', 'import', 'cluster.conf', '--if-match', '5']);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(seen[0]?.method, 'PUT');
    assert.equal(seen[0]?.headers['if-match'], '5');
    assert.deepEqual(seen[0]?.body, { document, revision: 5 });
    assert.deepEqual(r.out, ['imported cluster.conf (revision 6)']);
  });

  test('nodes prints one row per live node and the cluster name', async () => {
    const now = new Date().toISOString();
    reply = () => ({
      status: 200,
      body: {
        cluster: 'prod',
        revision: 4,
        nodes: [
          {
            name: 'n1',
            self: true,
            version: '0.1.0',
            lastSeen: now,
            api: { host: '10.0.0.1', port: 18083 },
            listeners: [{ kind: 'tcp', host: '0.0.0.0', port: 1883 }],
            appliedRevision: 4,
            modules: [{ state: 'running' }, { state: 'running' }, { state: 'failed' }],
          },
          { name: 'n2', self: false, version: '0.1.0', lastSeen: now, api: { host: '10.0.0.2', port: 18083 }, listeners: [], appliedRevision: null, modules: null },
        ],
      },
    });
    const r = await run(['cluster', 'nodes']);
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(seen[0]?.url, '/api/v1/nodes');
    assert.match(r.out[0] ?? '', /^NODE\s+VERSION\s+API\s+MQTT\s+APPLIED\s+SEEN\s+MODULES$/);
    assert.match(r.out[1] ?? '', /^n1 \*\s+0\.1\.0\s+10\.0\.0\.1:18083\s+tcp 0\.0\.0\.0:1883\s+4\s+\d+(\.\d)?s ago\s+2 running, 1 failed$/);
    assert.match(r.out[2] ?? '', /^n2\s+0\.1\.0\s+10\.0\.0\.2:18083\s+-\s+-\s+\S+ ago\s+-$/);
    assert.equal(r.out[3], 'cluster prod: 2 nodes, revision 4 (* = the node answering)');
  });

  test('import of an unreadable file exits 1 without a request', async () => {
    const r = await run(['cluster', 'import', 'missing.json']);
    assert.equal(r.code, 1);
    assert.equal(seen.length, 0);
  });
});

describe('modmq api-keys', () => {
  test('create, list, revoke', async () => {
    reply = (s) => {
      if (s.method === 'POST') return { status: 201, body: { id: 'k1', name: 'ci', role: 'admin', createdAt: 't', secret: 'sss' } };
      if (s.method === 'GET') return { status: 200, body: [{ id: 'k1', name: 'ci', role: 'admin', createdAt: 't' }] };
      return { status: 200, body: { id: 'k1', revoked: true } };
    };
    const c = await run(['api-keys', 'create', 'ci', '--role', 'admin']);
    assert.deepEqual(seen[0]?.body, { name: 'ci', role: 'admin' });
    assert.equal(c.out[0], 'created API key k1 (admin)');
    assert.equal(c.out[1], 'secret: sss');
    const l = await run(['api-keys', 'list']);
    assert.match(l.out[1] ?? '', /^k1\s+ci\s+admin\s+t$/);
    const v = await run(['api-keys', 'revoke', 'k1']);
    assert.deepEqual(v.out, ['revoked API key k1']);
    assert.equal(seen[2]?.method, 'DELETE');
    assert.equal(seen[2]?.url, '/api/v1/api-keys/k1');
    const bad = await run(['api-keys', 'create', 'x', '--role', 'root']);
    assert.equal(bad.code, 1);
    assert.equal(seen.length, 3);
  });
});
