/**
 * Target: a whole modmq node (store, reconciler, API, /metrics) with the default module set of
 * issue 8: presence, topic-rewrite with a rule that never matches the bench topics (the cost of a
 * module that does not care about the message), retainer (RAM) and the auth chain auth-builtin-db
 * + acl-file. The bench clients connect without credentials: builtin-db finds no user and ignores
 * (allow_anonymous), then every ACL decision runs builtin-db's SQLite rule lookup and acl-file's
 * rules until the per-client ACL cache holds it. Modules go in through the module service before
 * start, like a restored cluster; the API then confirms they run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildModuleRegistry } from '../../src/modules/index.js';
import { createModuleService } from '../../src/modules/runtime/module-service-impl.js';
import { startNode } from '../../src/node/node.js';
import { createSchemaCatalog } from '../../src/schema/index.js';
import { openNodeDatabase } from '../../src/store/node-database.js';
import { serveTarget } from './target-child.js';

const DEFAULT_SET = [
  { type: 'presence', config: { qos: 0 } },
  {
    type: 'topic-rewrite',
    config: { rules: [{ action: 'all', source_topic: 'other/#', re: '^other/(.+)$', dest_topic: 'rewritten/$1' }] },
  },
  { type: 'retainer', config: { storage_type: 'ram' } },
  {
    type: 'auth-builtin-db',
    config: {
      password_hash: 'sha256',
      users: [{ username: 'dashboard', password: randomBytes(12).toString('hex'), is_superuser: true }],
      clients: [{ clientid: 'device-1', password: randomBytes(12).toString('hex') }],
    },
  },
  {
    // EMQX 4.x's shipped acl.conf, with the catch-all narrowed to the bench topics and a final deny.
    type: 'acl-file',
    config: {
      rules: [
        { permission: 'allow', who: { kind: 'user', value: 'dashboard' }, access: 'subscribe', topics: [{ filter: '$SYS/#' }] },
        { permission: 'deny', who: { kind: 'all' }, access: 'subscribe', topics: [{ filter: '$SYS/#' }, { eq: '#' }] },
        { permission: 'allow', who: { kind: 'all' }, access: 'pubsub', topics: [{ filter: 'bench/#' }, { filter: 'storm/#' }] },
        { permission: 'deny', who: { kind: 'all' }, access: 'pubsub' },
      ],
    },
  },
];

await serveTarget(async () => {
  // The orchestrator removes MODMQ_BENCH_TMP on exit, even if this process is killed.
  const dataDir = await mkdtemp(join(process.env.MODMQ_BENCH_TMP ?? tmpdir(), 'modmq-'));
  const password = randomBytes(12).toString('hex');
  try {
    const database = openNodeDatabase(dataDir);
    try {
      const service = createModuleService({ store: database.store, catalog: await createSchemaCatalog(), registry: buildModuleRegistry() });
      for (const input of DEFAULT_SET) await service.add({ ...input, enabled: true }, { author: 'bench' });
    } finally {
      await database.close();
    }
    const off = { enable: false, bind: '127.0.0.1', port: 0 };
    const node = await startNode(
      {
        node: { name: 'bench', data_dir: dataDir },
        listeners: { tcp: { enable: true, bind: '127.0.0.1', port: 0 }, tls: off, ws: { ...off, path: '/mqtt' }, wss: { ...off, path: '/mqtt' } },
        api: { bind: '127.0.0.1', port: 0 },
        log: { level: 'silent' },
      },
      { log: pino({ level: 'silent' }), adminPassword: password, print: () => {} },
    );
    await expectRunning(node.api.port, password).catch(async (error: unknown) => {
      await node.stop();
      throw error;
    });
    const tcp = node.listeners.find((l) => l.kind === 'tcp');
    if (tcp === undefined) throw new Error('no tcp listener bound');
    return {
      port: tcp.port,
      async close() {
        await node.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
});

/** Asks the node's own API that every bench module runs; a bench of a broken set would mislead. */
async function expectRunning(apiPort: number, password: string): Promise<void> {
  const auth = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const response = await fetch(`http://127.0.0.1:${apiPort}/api/v1/modules`, { headers: { authorization: auth } });
  if (!response.ok) throw new Error(`GET /api/v1/modules answered ${response.status}`);
  const body = (await response.json()) as { modules?: Array<{ type: string; status?: { state?: string; error?: string } }> };
  for (const { type } of DEFAULT_SET) {
    const found = body.modules?.find((m) => m.type === type);
    if (found?.status?.state !== 'running') {
      throw new Error(`module ${type} is not running: ${JSON.stringify(found?.status ?? 'absent')}`);
    }
  }
}
