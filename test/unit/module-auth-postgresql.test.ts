/** auth-postgresql without a database: the module's wiring (driver options, hooks, updates) and the pg client's deadlines. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { authPostgresql } from '../../src/modules/auth-postgresql/index.js';
import { createPgClient } from '../../src/modules/auth-postgresql/pg-client.js';
import type { SqlClient, SqlClientOptions, SqlResult } from '../../src/modules/auth-sql/sql-client.js';
import { defineSqlAuthModule } from '../../src/modules/auth-sql/sql-auth-module.js';
import type { SqlAuthConfig } from '../../src/modules/auth-sql/sql-config.js';
import { createFakeBroker } from '../helpers/fake-broker.js';
import { freePort } from '../helpers/free-port.js';
import { moduleContext } from '../helpers/module-context.js';

function config(overrides: Partial<SqlAuthConfig> = {}): SqlAuthConfig {
  return {
    server: 'db.example:6432',
    database: 'auth',
    username: 'emqx',
    password: 'secret',
    pool_size: 3,
    query_timeout: '1m',
    encoding: 'latin1',
    ssl: { enable: false },
    password_hash: { name: 'plain' },
    auth_query: "select password from mqtt_user where username = '%u' limit 1",
    super_query: '',
    acl_query: "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where username = '%u'",
    on_backend_error: 'ignore',
    ...overrides,
  };
}

/** A module type like auth-postgresql whose driver is scripted: records options, queries and closes. */
function scripted() {
  const opened: Array<SqlClientOptions & { closed: boolean; sent: string[] }> = [];
  let reply: (sql: string) => SqlResult = () => ({ columns: [], rows: [] });
  const type = defineSqlAuthModule({
    type: 'auth-postgresql',
    backend: 'pgsql',
    defaultPort: 5432,
    style: 'dollar',
    createClient(options): SqlClient {
      const record = { ...options, closed: false, sent: [] as string[] };
      opened.push(record);
      return {
        async query(sql) {
          record.sent.push(sql);
          return reply(sql);
        },
        async close() {
          record.closed = true;
        },
      };
    },
  });
  return { type, opened, setReply: (fn: (sql: string) => SqlResult) => (reply = fn) };
}

describe('auth-postgresql module wiring', () => {
  it('driver options come from the config: address, pool size, timeouts (connect capped), encoding, no TLS', async () => {
    const { type, opened } = scripted();
    const fake = createFakeBroker();
    const instance = await type.create(moduleContext(fake, 'pg'), config());
    try {
      const o = opened[0]!;
      assert.deepEqual(
        { host: o.host, port: o.port, database: o.database, user: o.user, password: o.password, poolSize: o.poolSize, encoding: o.encoding, tls: o.tls },
        { host: 'db.example', port: 6432, database: 'auth', user: 'emqx', password: 'secret', poolSize: 3, encoding: 'latin1', tls: undefined },
      );
      assert.equal(o.queryTimeoutMs, 60_000);
      assert.equal(o.connectTimeoutMs, 10_000, 'a connect attempt is capped even with a long query timeout');
    } finally {
      await instance.stop();
    }
  });

  it('queries are sent with $n parameters; a bare host gets port 5432', async () => {
    const { type, opened } = scripted();
    const fake = createFakeBroker();
    const instance = await type.create(moduleContext(fake, 'pg'), config({ server: 'db' }));
    try {
      assert.equal(opened[0]!.port, 5432);
      await fake.authenticate({ client: fake.connect({ clientId: 'c', username: 'u' }), password: Buffer.from('p') });
      assert.ok(opened[0]!.sent.includes('select password from mqtt_user where username = $1 limit 1'));
    } finally {
      await instance.stop();
    }
  });

  it('empty queries register no hook; update swaps the engine, closes the old pool, re-registers hooks', async () => {
    const { type, opened, setReply } = scripted();
    const fake = createFakeBroker();
    const instance = await type.create(moduleContext(fake, 'pg'), config({ acl_query: '' }));
    try {
      assert.equal(fake.hookCount(), 1, 'authenticate only');
      setReply((sql) => (sql.includes('mqtt_acl') ? { columns: ['allow', 'access', 'topic', 'username'], rows: [{ allow: 0, access: 3, topic: '#', username: '$all' }] } : { columns: [], rows: [] }));
      await instance.update!(config());
      assert.equal(fake.hookCount(), 2, 'authenticate + authorize');
      assert.equal(opened.length, 2);
      assert.equal(opened[0]!.closed, true, 'old pool closed');
      assert.equal(opened[1]!.closed, false);
      const decision = await fake.authorize(fake.connect({ clientId: 'c', username: 'u' }), 'publish', 't');
      assert.equal(decision.result, 'deny');
    } finally {
      await instance.stop();
    }
    assert.equal(fake.hookCount(), 0);
    assert.equal(opened[1]!.closed, true);
  });

  it('a failing update (missing TLS file) rejects and the previous engine keeps serving', async () => {
    const { type, opened } = scripted();
    const fake = createFakeBroker();
    const instance = await type.create(moduleContext(fake, 'pg'), config());
    try {
      await assert.rejects(instance.update!(config({ ssl: { enable: true, cafile: '/nonexistent/ca.pem' } })), /ENOENT/);
      assert.equal(opened.length, 1);
      assert.equal(opened[0]!.closed, false);
      await fake.authenticate({ client: fake.connect({ clientId: 'c', username: 'u' }), password: Buffer.from('p') });
      assert.ok(opened[0]!.sent.some((s) => s.startsWith('select password')));
    } finally {
      await instance.stop();
    }
  });

  it('TLS on: the driver gets the TLS options (tlsv1.2 only from versions)', async () => {
    const { type, opened } = scripted();
    const instance = await type.create(moduleContext(createFakeBroker(), 'pg'), config({ ssl: { enable: true, verify: true, versions: ['tlsv1.2'] } }));
    try {
      assert.deepEqual(
        { reject: opened[0]!.tls?.rejectUnauthorized, min: opened[0]!.tls?.minVersion, max: opened[0]!.tls?.maxVersion, sni: opened[0]!.tls?.servername },
        { reject: true, min: 'TLSv1.2', max: 'TLSv1.2', sni: 'db.example' },
      );
    } finally {
      await instance.stop();
    }
  });

  it('the real type is registered under its schema name', () => {
    assert.equal(authPostgresql.type, 'auth-postgresql');
    assert.equal(authPostgresql.family, 'auth');
  });
});

describe('pg client deadlines (no database needed)', () => {
  const options = (port: number): SqlClientOptions => ({
    host: '127.0.0.1', port, database: 'mqtt', user: 'u', password: 'p', poolSize: 1, connectTimeoutMs: 5000, queryTimeoutMs: 5000, tls: undefined,
    onIdleError: () => undefined,
  });

  it('a refused connection rejects at once', async () => {
    const client = createPgClient(options(await freePort()));
    try {
      await assert.rejects(client.query('SELECT 1', [], new AbortController().signal), /ECONNREFUSED/);
    } finally {
      await client.close();
    }
  });

  it('a server that never answers: the pool connect fails at the connect timeout, close() leaves no socket', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.resume(); // read (and drop) what the client sends, so its close is seen
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const client = createPgClient({ ...options((silent.address() as net.AddressInfo).port), connectTimeoutMs: 50 });
    try {
      await assert.rejects(client.query('SELECT 1', [], new AbortController().signal), /timeout/i);
      await client.close();
      while (sockets.size > 0) await new Promise((r) => setImmediate(r));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
