/** auth-mysql pieces without a database: address parsing, TLS options, checks, the mysql2 client's deadlines. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { authMysql } from '../../src/modules/auth-mysql/index.js';
import { createMysqlClient } from '../../src/modules/auth-mysql/mysql-client.js';
import type { SqlClientOptions } from '../../src/modules/auth-sql/sql-client.js';
import { parseServer } from '../../src/modules/auth-sql/server-address.js';
import { checkSsl, loadTlsOptions } from '../../src/modules/auth-sql/tls-options.js';
import { freePort } from '../helpers/free-port.js';

describe('server address (host-port def)', () => {
  const hostname = fc.stringMatching(/^[a-z0-9](?:[a-z0-9.-]{0,20}[a-z0-9])?$/);
  const ipv6 = fc.ipV6();
  const port = fc.integer({ min: 0, max: 65535 });

  it('host:port and [v6]:port round-trip', () => {
    fc.assert(fc.property(hostname, port, (host, p) => assert.deepEqual(parseServer(`${host}:${p}`, 1), { host, port: p })));
    fc.assert(fc.property(ipv6, port, (host, p) => assert.deepEqual(parseServer(`[${host}]:${p}`, 1), { host, port: p })));
  });

  it('a bare host gets the default port (4.x translation)', () => {
    fc.assert(fc.property(hostname, (host) => assert.deepEqual(parseServer(host, 3306), { host, port: 3306 })));
    assert.deepEqual(parseServer('[::1]', 3306), { host: '::1', port: 3306 });
  });
});

describe('TLS options (config shape; wired to the driver, not run against a TLS server)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'modmq-sql-tls-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(dir, name), `${name} content`);

  it('off: no TLS options at all', async () => {
    assert.equal(await loadTlsOptions({ enable: false, cafile: 'x' }, 'db', dir), undefined);
    assert.equal(await loadTlsOptions(undefined, 'db', dir), undefined);
  });

  it('files are read (relative to the data dir), verify maps to rejectUnauthorized, SNI defaults to the host', async () => {
    const options = await loadTlsOptions({ enable: true, cafile: 'ca.pem', certfile: path.join(dir, 'cert.pem'), keyfile: 'key.pem', verify: true }, 'db.example.com', dir);
    assert.equal(options?.ca?.toString(), 'ca.pem content');
    assert.equal(options?.cert?.toString(), 'cert.pem content');
    assert.equal(options?.key?.toString(), 'key.pem content');
    assert.equal(options?.rejectUnauthorized, true);
    assert.equal(options?.servername, 'db.example.com');
    assert.equal((await loadTlsOptions({ enable: true }, '10.0.0.1', dir))?.servername, undefined, 'no SNI for an IP');
    assert.equal((await loadTlsOptions({ enable: true }, 'db', dir))?.rejectUnauthorized, false, '4.x verify_none by default');
  });

  it('SNI disable turns the name check off; an explicit SNI is the name checked', async () => {
    const off = await loadTlsOptions({ enable: true, server_name_indication: 'disable' }, 'db', dir);
    assert.equal(off?.servername, undefined);
    assert.equal(off?.checkServerIdentity?.('db', {} as never), undefined);
    const named = await loadTlsOptions({ enable: true, server_name_indication: 'other.example' }, 'db', dir);
    assert.equal(named?.servername, 'other.example');
    assert.ok(named?.checkServerIdentity?.('db', { subject: { CN: 'db' }, subjectaltname: 'DNS:db' } as never) instanceof Error);
  });

  it('versions become min/max protocol versions', async () => {
    const options = await loadTlsOptions({ enable: true, versions: ['tlsv1.3', 'tlsv1.1', 'tlsv1.2'] }, 'db', dir);
    assert.equal(options?.minVersion, 'TLSv1.1');
    assert.equal(options?.maxVersion, 'TLSv1.3');
  });

  it('a missing file rejects (create/update fails, the previous instance keeps serving)', async () => {
    await assert.rejects(loadTlsOptions({ enable: true, cafile: 'missing.pem' }, 'db', dir), /ENOENT/);
  });

  it('checks: a key needs its certificate and the reverse', () => {
    assert.deepEqual(checkSsl({ enable: true, keyfile: 'k' }).map((p) => p.pointer), ['/ssl/certfile']);
    assert.deepEqual(checkSsl({ enable: true, certfile: 'c' }).map((p) => p.pointer), ['/ssl/keyfile']);
    assert.deepEqual(checkSsl({ enable: false, keyfile: 'k' }), []);
  });
});

describe('auth-mysql check()', () => {
  const base = { server: '127.0.0.1:3306', database: 'mqtt', username: '', password: '', pool_size: 8, ssl: {}, password_hash: { name: 'sha256' as const }, auth_query: '', super_query: '', acl_query: '', on_backend_error: 'ignore' as const };
  it('refuses a zero query timeout', () => {
    assert.deepEqual(authMysql.check!({ ...base, query_timeout: '0s' }).map((p) => p.pointer), ['/query_timeout']);
    assert.deepEqual(authMysql.check!({ ...base, query_timeout: '5s' }), []);
  });
});

describe('mysql2 client deadlines (no database needed)', () => {
  const options = (port: number, over: Partial<SqlClientOptions> = {}): SqlClientOptions => ({
    host: '127.0.0.1', port, database: 'mqtt', user: 'u', password: 'p', poolSize: 1, connectTimeoutMs: 5000, queryTimeoutMs: 5000, tls: undefined,
    onIdleError: () => undefined, ...over,
  });

  it('a refused connection rejects at once', async () => {
    const client = createMysqlClient(options(await freePort()));
    try {
      await assert.rejects(client.query('SELECT 1', [], new AbortController().signal), /ECONNREFUSED/);
    } finally {
      await client.close();
    }
  });

  it('a server that accepts but never answers: the abort rejects the call and close() frees the socket', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.resume(); // read (and drop) what the client sends, so its close is seen
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const client = createMysqlClient(options(port));
    try {
      const controller = new AbortController();
      const call = client.query('SELECT 1', [], controller.signal);
      while (sockets.size === 0) await new Promise((r) => setImmediate(r));
      controller.abort(new Error('deadline'));
      await assert.rejects(call, /deadline/);
      await client.close();
      // The handshake never came, yet close() dropped the socket: the server sees it closed.
      while (sockets.size > 0) await new Promise((r) => setImmediate(r));
    } finally {
      await client.close();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
