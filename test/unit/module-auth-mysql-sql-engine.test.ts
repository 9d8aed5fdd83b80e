/** The SQL auth engine shared by auth-mysql and auth-postgresql, against a scripted fake client. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { BackendGuard, hashPassword, type PasswordHashConfig } from '../../src/modules/auth-common/index.js';
import type { SqlClient, SqlResult } from '../../src/modules/auth-sql/sql-client.js';
import type { SqlAuthConfig } from '../../src/modules/auth-sql/sql-config.js';
import { BAD_CREDENTIALS, SqlEngine } from '../../src/modules/auth-sql/sql-engine.js';

type Reply = SqlResult | Error | 'hang';

/** Answers each query with the reply its SQL text matches; records what was sent. */
function fakeClient(replies: Array<[RegExp, Reply]>): SqlClient & { sent: Array<{ sql: string; params: unknown[] }>; closed: boolean } {
  const sent: Array<{ sql: string; params: unknown[] }> = [];
  return {
    sent,
    closed: false,
    async query(sql, params, signal) {
      sent.push({ sql, params: [...params] });
      const reply = replies.find(([re]) => re.test(sql))?.[1] ?? { columns: [], rows: [] };
      if (reply === 'hang') {
        return new Promise<SqlResult>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      }
      if (reply instanceof Error) throw reply;
      return reply;
    },
    async close() {
      this.closed = true;
    },
  };
}

const rows = (columns: string[], ...values: unknown[][]): SqlResult => ({
  columns,
  rows: values.map((v) => Object.fromEntries(columns.map((c, i) => [c, v[i]]))),
});

function config(overrides: Partial<SqlAuthConfig> = {}): SqlAuthConfig {
  return {
    server: '127.0.0.1:3306',
    database: 'mqtt',
    username: '',
    password: '',
    pool_size: 1,
    query_timeout: '5s',
    ssl: {},
    password_hash: { name: 'plain' },
    auth_query: "select password, salt from mqtt_user where username = '%u' limit 1",
    super_query: "select is_superuser from mqtt_user where username = '%u' limit 1",
    acl_query: "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where username = '%u' or clientid = '%c' or username = '$all'",
    on_backend_error: 'ignore',
    ...overrides,
  };
}

function engine(client: SqlClient, overrides: Partial<SqlAuthConfig> = {}, guard?: Partial<{ timeoutMs: number; onError: 'ignore' | 'deny' }>): { engine: SqlEngine; guard: BackendGuard } {
  const g = new BackendGuard({ timeoutMs: guard?.timeoutMs ?? 1000, onError: guard?.onError ?? 'ignore', log: pino({ level: 'silent' }), name: 'fake' });
  return { engine: new SqlEngine(config(overrides), client, g, 'question'), guard: g };
}

function client(partial: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId: 'c1', username: 'alice', peerHost: '10.0.0.5', peerPort: 1, sockPort: 1883, listener: 'tcp', protoName: 'MQTT',
    protoVer: 4, keepalive: 60, cleanStart: true, expiryInterval: 0, connectedAt: 0, superuser: false, ...partial,
  };
}

const connect = (password: string | undefined, partial: Partial<ClientInfo> = {}) => ({
  client: client(partial),
  password: password === undefined ? undefined : Buffer.from(password),
});

describe('SQL auth engine: authentication (4.x emqx_auth_mysql/pgsql check/3)', () => {
  it('binds placeholders as parameters, in order, never in the SQL text', async () => {
    const fake = fakeClient([]);
    const { engine: e } = engine(fake, { auth_query: "select password from u where username = '%u' and clientid = '%c' and ip = '%a'" });
    await e.authenticate(connect('x', { username: "o'brien; drop table u", clientId: 'cid' }));
    assert.equal(fake.sent[0]!.sql, 'select password from u where username = ? and clientid = ? and ip = ?');
    assert.deepEqual(fake.sent[0]!.params, ["o'brien; drop table u", 'cid', '10.0.0.5']);
  });

  it('no row: ignore (next module of the chain)', async () => {
    const { engine: e } = engine(fakeClient([[/password/, rows(['password', 'salt'])]]));
    assert.deepEqual(await e.authenticate(connect('pw')), { result: 'ignore' });
  });

  it('right password: allow; wrong password or no password: deny with bad credentials', async () => {
    const { engine: e } = engine(fakeClient([[/password/, rows(['password', 'salt'], ['pw', null])]]), { super_query: '' });
    assert.deepEqual(await e.authenticate(connect('pw')), { result: 'allow' });
    const wrong = await e.authenticate(connect('nope'));
    assert.equal(wrong.result, 'deny');
    assert.equal(wrong.result === 'deny' && wrong.reasonCode, BAD_CREDENTIALS);
    assert.equal((await e.authenticate(connect(undefined))).result, 'deny');
  });

  const hashes: Array<[PasswordHashConfig, string | undefined]> = [
    [{ name: 'md5' }, undefined],
    [{ name: 'sha' }, undefined],
    [{ name: 'sha256', salt_position: 'suffix' }, 'salt1'],
    [{ name: 'sha512', salt_position: 'prefix' }, 'salt2'],
    [{ name: 'bcrypt' }, undefined],
    [{ name: 'pbkdf2', mac_fun: 'sha256', iterations: 10, dk_length: 32 }, 'pbsalt'],
  ];
  for (const [hash, salt] of hashes) {
    it(`stored ${hash.name} hash${salt ? ` with ${hash.salt_position ?? 'pbkdf2'} salt` : ''} (salt column) is checked`, async () => {
      const stored = await hashPassword(hash, 'secret', salt);
      const { engine: e } = engine(fakeClient([[/password/, rows(['password', 'salt'], [stored, salt ?? null])]]), { password_hash: hash, super_query: '' });
      assert.equal((await e.authenticate(connect('secret'))).result, 'allow');
      assert.equal((await e.authenticate(connect('Secret'))).result, 'deny');
    });
  }

  it('binary columns (Buffer) are read as text', async () => {
    const { engine: e } = engine(fakeClient([[/password/, rows(['password'], [Buffer.from('pw')])]]), { super_query: '' });
    assert.equal((await e.authenticate(connect('pw'))).result, 'allow');
  });

  for (const flag of [1, '1', true, 't', 'true']) {
    it(`super_query is_superuser ${JSON.stringify(flag)} marks a superuser`, async () => {
      const { engine: e } = engine(fakeClient([[/select password/, rows(['password'], ['pw'])], [/is_superuser/, rows(['is_superuser'], [flag])]]));
      assert.deepEqual(await e.authenticate(connect('pw')), { result: 'allow', superuser: true });
    });
  }

  it('super_query returning 0, no row or failing: allowed, not a superuser', async () => {
    for (const reply of [rows(['is_superuser'], [0]), rows(['is_superuser']), new Error('boom')]) {
      const { engine: e } = engine(fakeClient([[/select password/, rows(['password'], ['pw'])], [/is_superuser/, reply]]));
      assert.deepEqual(await e.authenticate(connect('pw')), { result: 'allow' });
    }
  });

  it('empty auth_query: ignore without a query', async () => {
    const fake = fakeClient([]);
    const { engine: e } = engine(fake, { auth_query: '  ' });
    assert.equal(e.hasAuth, false);
    assert.deepEqual(await e.authenticate(connect('pw')), { result: 'ignore' });
    assert.equal(fake.sent.length, 0);
  });

  it('backend error: degraded with the reason, the on_backend_error answer, running again after a success', async () => {
    let fail = true;
    const flaky: SqlClient = {
      async query() {
        if (fail) throw new Error('connect ECONNREFUSED');
        return rows(['password'], ['pw']);
      },
      async close() {},
    };
    for (const onError of ['ignore', 'deny'] as const) {
      fail = true;
      const { engine: e } = engine(flaky, { super_query: '' }, { onError });
      const decision = await e.authenticate(connect('pw'));
      assert.equal(decision.result, onError);
      const health = e.health();
      assert.equal(health.state, 'degraded');
      assert.match(health.state === 'degraded' ? health.reason : '', /ECONNREFUSED/);
      fail = false;
      assert.equal((await e.authenticate(connect('pw'))).result, 'allow');
      assert.equal(e.health().state, 'running');
    }
  });

  it('a hung backend: the call is abandoned at the timeout with the on_backend_error answer', async () => {
    const { engine: e } = engine(fakeClient([[/password/, 'hang']]), {}, { timeoutMs: 20, onError: 'deny' });
    const decision = await e.authenticate(connect('pw'));
    assert.equal(decision.result, 'deny');
    assert.equal(e.health().state, 'degraded');
  });

  it('a result without a password column: degraded, on_backend_error answer', async () => {
    const { engine: e } = engine(fakeClient([[/select pass /, rows(['pass'], ['pw'])]]), { auth_query: "select pass from u where username = '%u'" });
    assert.equal((await e.authenticate(connect('pw'))).result, 'ignore');
    assert.equal(e.health().state, 'degraded');
  });
});

describe('SQL auth engine: ACL (4.x emqx_acl_mysql/pgsql)', () => {
  const aclColumns = ['allow', 'ipaddr', 'username', 'clientid', 'access', 'topic'];

  it('rows are tried last to first; access 1 sub, 2 pub, 3 both; no match ignores', async () => {
    const { engine: e } = engine(fakeClient([[/mqtt_acl/, rows(aclColumns,
      [1, null, 'alice', null, 3, 'a/#'],
      [0, null, 'alice', null, 2, 'a/secret'],
      [1, null, '$all', null, 1, 'pub/+'],
    )]]));
    const c = client();
    assert.deepEqual(await e.authorize(c, 'publish', 'a/x'), { result: 'allow' });
    assert.equal((await e.authorize(c, 'publish', 'a/secret')).result, 'deny'); // later row wins
    assert.equal((await e.authorize(c, 'subscribe', 'a/secret')).result, 'allow');
    assert.equal((await e.authorize(c, 'subscribe', 'pub/1')).result, 'allow');
    assert.equal((await e.authorize(c, 'publish', 'pub/1')).result, 'ignore');
    assert.equal((await e.authorize(c, 'publish', 'other')).result, 'ignore');
  });

  it('%u/%c in topics, eq topics and ipaddr CIDR rows', async () => {
    const { engine: e } = engine(fakeClient([[/mqtt_acl/, rows(aclColumns,
      [1, null, '$all', null, 3, 'users/%u/#'],
      [1, null, '$all', null, 1, 'eq t/#'],
      [0, '10.0.0.0/8', null, null, 2, 'ip/#'],
    )]]));
    const c = client();
    assert.equal((await e.authorize(c, 'publish', 'users/alice/x')).result, 'allow');
    assert.equal((await e.authorize(c, 'publish', 'users/bob/x')).result, 'ignore');
    assert.equal((await e.authorize(c, 'subscribe', 't/#')).result, 'allow');
    assert.equal((await e.authorize(c, 'subscribe', 't/x')).result, 'ignore');
    assert.equal((await e.authorize(c, 'publish', 'ip/1')).result, 'deny');
    assert.equal((await e.authorize(client({ peerHost: '192.168.1.1' }), 'publish', 'ip/1')).result, 'ignore');
  });

  it('usernames starting with $ are not checked (no query)', async () => {
    const fake = fakeClient([[/mqtt_acl/, rows(aclColumns, [0, null, '$all', null, 3, '#'])]]);
    const { engine: e } = engine(fake);
    assert.equal((await e.authorize(client({ username: '$sys' }), 'publish', 'x')).result, 'ignore');
    assert.equal(fake.sent.length, 0);
  });

  it('a failing ACL query answers on_backend_error and degrades', async () => {
    for (const onError of ['ignore', 'deny'] as const) {
      const { engine: e } = engine(fakeClient([[/mqtt_acl/, new Error('gone')]]), {}, { onError });
      assert.equal((await e.authorize(client(), 'publish', 'x')).result, onError);
      assert.equal(e.health().state, 'degraded');
    }
  });

  it('binds %a/%u/%c for the ACL query', async () => {
    const fake = fakeClient([]);
    const { engine: e } = engine(fake, { acl_query: "select * from mqtt_acl where ipaddr = '%a' or username = '%u' or clientid = '%c'" });
    await e.authorize(client({ peerHost: '::ffff:10.1.2.3' }), 'subscribe', 't');
    assert.deepEqual(fake.sent[0]!.params, ['10.1.2.3', 'alice', 'c1']);
  });
});

describe('SQL auth engine: retire', () => {
  it('waits for in-flight calls, then closes the client once', async () => {
    let release!: () => void;
    let closes = 0;
    const slow: SqlClient = {
      query: () => new Promise<SqlResult>((resolve) => (release = () => resolve(rows(['password'], ['pw'])))),
      async close() {
        closes++;
      },
    };
    const { engine: e } = engine(slow, { super_query: '' });
    const pending = e.authenticate(connect('pw'));
    const retired = e.retire();
    let done = false;
    void retired.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'not closed while a call is in flight');
    release();
    assert.equal((await pending).result, 'allow');
    await retired;
    await e.retire();
    assert.equal(closes, 1);
  });
});
