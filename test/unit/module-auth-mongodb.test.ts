/**
 * auth-mongodb. No MongoDB server can run on the test machines: the query, selector, hash and ACL
 * logic runs against an in-test FAKE collection (every test name says "(fake MongoDB)"); the real
 * driver adapter is checked for its options and for failing (not hanging) with no server.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import type { ClientInfo, ConnectRequest } from '../../src/broker/hooks.js';
import { BackendGuard } from '../../src/modules/auth-common/index.js';
import { authMongodb, type AuthMongodbConfig } from '../../src/modules/auth-mongodb/index.js';
import { MongoAuth, type MongoAuthRules } from '../../src/modules/auth-mongodb/mongo-auth.js';
import { MongoDriverStore, mongoClientOptions, mongoUri } from '../../src/modules/auth-mongodb/mongo-driver-store.js';
import { parseSelector, renderSelector, selectorProblem } from '../../src/modules/auth-mongodb/mongo-selector.js';
import { freePort } from '../helpers/free-port.js';
import { FakeMongoStore, mongodbConfig } from './module-auth-mongodb-fake.js';

const log = pino({ level: 'silent' });
const sha256 = (t: string): string => createHash('sha256').update(t).digest('hex');

function client(over: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId: 'c1',
    username: 'u1',
    peerHost: '127.0.0.1',
    peerPort: 1,
    sockPort: 1883,
    listener: 'tcp',
    protoName: 'MQTT',
    protoVer: 4,
    keepalive: 60,
    cleanStart: true,
    expiryInterval: 0,
    connectedAt: 0,
    superuser: false,
    ...over,
  };
}
const connect = (username: string | undefined, password?: string, clientId = 'c1'): ConnectRequest => ({
  client: client({ username, clientId }),
  password: password === undefined ? undefined : Buffer.from(password),
});

function setup(over: Partial<MongoAuthRules> = {}, onError: 'ignore' | 'deny' = 'ignore') {
  const store = new FakeMongoStore();
  const guard = new BackendGuard({ timeoutMs: 1000, onError, log, name: 'mongodb test' });
  const config = mongodbConfig();
  const rules: MongoAuthRules = {
    auth_query: { ...config.auth_query, ...over.auth_query },
    super_query: { ...config.super_query, enable: true, ...over.super_query },
    acl_query: { ...config.acl_query, enable: true, ...over.acl_query },
  };
  return { store, guard, auth: new MongoAuth(rules, () => store, guard) };
}

describe('auth-mongodb: selectors', () => {
  it('parses field=value pairs; whole-value placeholders only', () => {
    const s = parseSelector(' username = %u , clientid=%c,kind=device');
    assert.deepEqual(renderSelector(s, { u: 'alice', c: 'c9' }), { username: 'alice', clientid: 'c9', kind: 'device' });
    assert.deepEqual(renderSelector(parseSelector('username=$all'), {}), { username: '$all' });
    assert.deepEqual(renderSelector(parseSelector('name=x%u'), { u: 'a' }), { name: 'x%u' }, '4.x replaced whole values only');
    assert.equal(renderSelector(parseSelector('cn=%C'), { u: 'a' }), undefined, 'no certificate: the selector is not sent');
    assert.deepEqual(renderSelector(parseSelector(''), {}), {});
  });

  it('refuses malformed pairs and operator field names', () => {
    assert.equal(selectorProblem('username=%u'), undefined);
    assert.match(selectorProblem('username')!, /field=value/);
    assert.match(selectorProblem('$where=1')!, /field name/);
    assert.match(selectorProblem('=x')!, /field=value/);
  });

  it('property: a username is always one string value (no operator injection)', () => {
    fc.assert(
      fc.property(fc.string(), (u) => {
        const doc = renderSelector(parseSelector('username=%u'), { u })!;
        assert.deepEqual(Object.keys(doc), ['username']);
        assert.equal(typeof doc.username, 'string');
        assert.equal(doc.username, u);
      }),
    );
  });
});

describe('auth-mongodb: authentication (fake MongoDB)', () => {
  it('right password allows, wrong denies 0x86, unknown user ignores (fake MongoDB)', async () => {
    const { store, auth } = setup();
    store.insert('mqtt_user', { username: 'alice', password: sha256('pw') });
    assert.deepEqual(await auth.authenticate(connect('alice', 'pw')), { result: 'allow', superuser: false });
    const wrong = await auth.authenticate(connect('alice', 'bad'));
    assert.equal(wrong.result === 'deny' && wrong.reasonCode, 0x86);
    assert.deepEqual(await auth.authenticate(connect('ghost', 'pw')), { result: 'ignore' });
    assert.deepEqual(await auth.authenticate(connect(undefined, 'pw')), { result: 'ignore' }, 'no username: selector not sent');
    assert.deepEqual(store.queries[0], { collection: 'mqtt_user', selector: { username: 'alice' } });
  });

  it('password,salt fields with a salted hash; a document without the password field denies (fake MongoDB)', async () => {
    const { store, auth } = setup({
      auth_query: { collection: 'users', password_field: ['pwd', 'salt'], password_hash: { name: 'sha256', salt_position: 'prefix' }, selector: 'clientid=%c' },
    });
    store.insert('users', { clientid: 'dev1', pwd: sha256('NaCl' + 'pw'), salt: 'NaCl' });
    store.insert('users', { clientid: 'dev2', other: 'x' });
    assert.equal((await auth.authenticate(connect(undefined, 'pw', 'dev1'))).result, 'allow');
    assert.equal((await auth.authenticate(connect(undefined, 'px', 'dev1'))).result, 'deny');
    assert.equal((await auth.authenticate(connect(undefined, 'pw', 'dev2'))).result, 'deny');
  });

  it('bcrypt and plain hashes (fake MongoDB)', async () => {
    const bcrypt = (await import('bcryptjs')).default;
    const b = setup({ auth_query: { collection: 'mqtt_user', password_field: ['password'], password_hash: { name: 'bcrypt' }, selector: 'username=%u' } });
    b.store.insert('mqtt_user', { username: 'alice', password: bcrypt.hashSync('pw', 4) });
    assert.equal((await b.auth.authenticate(connect('alice', 'pw'))).result, 'allow');
    assert.equal((await b.auth.authenticate(connect('alice', 'px'))).result, 'deny');
    const p = setup({ auth_query: { collection: 'mqtt_user', password_field: ['password'], password_hash: { name: 'plain' }, selector: 'username=%u' } });
    p.store.insert('mqtt_user', { username: 'alice', password: 'pw' });
    assert.equal((await p.auth.authenticate(connect('alice', 'pw'))).result, 'allow');
  });

  it('superuser from super_query: true, "true" or 1 (fake MongoDB)', async () => {
    const { store, auth } = setup();
    store.insert('mqtt_user', { username: 'root', password: sha256('pw'), is_superuser: true });
    store.insert('mqtt_user', { username: 'one', password: sha256('pw'), is_superuser: 1 });
    store.insert('mqtt_user', { username: 'no', password: sha256('pw'), is_superuser: false });
    assert.deepEqual(await auth.authenticate(connect('root', 'pw')), { result: 'allow', superuser: true });
    assert.deepEqual(await auth.authenticate(connect('one', 'pw')), { result: 'allow', superuser: true });
    assert.deepEqual(await auth.authenticate(connect('no', 'pw')), { result: 'allow', superuser: false });
  });

  it('backend error: ignore or deny as configured, degraded with the reason (fake MongoDB)', async () => {
    for (const mode of ['ignore', 'deny'] as const) {
      const { store, auth, guard } = setup({}, mode);
      store.failWith = new Error('server selection timed out');
      assert.equal((await auth.authenticate(connect('alice', 'pw'))).result, mode);
      assert.equal((await auth.authorize(client(), 'publish', 't')).result, mode);
      const health = guard.health();
      assert.ok(health.state === 'degraded' && /server selection/.test(health.reason));
      store.failWith = undefined;
      await auth.authenticate(connect('alice', 'pw'));
      assert.equal(guard.health().state, 'running');
    }
  });
});

describe('auth-mongodb: ACL (fake MongoDB)', () => {
  it('publish / subscribe / pubsub arrays; documents without a match deny, no documents ignore (fake MongoDB)', async () => {
    const { store, auth } = setup({ acl_query: { enable: true, collection: 'mqtt_acl', selector: 'username=%u', selectors: ['username=$all'] } });
    store.insert('mqtt_acl', { username: 'u1', publish: ['u1/pub/#'], subscribe: ['u1/sub/+'], pubsub: ['u1/both', 'own/%c'] });
    store.insert('mqtt_acl', { username: '$all', subscribe: ['public/#'] });
    const c = client();
    assert.equal((await auth.authorize(c, 'publish', 'u1/pub/a')).result, 'allow');
    assert.equal((await auth.authorize(c, 'subscribe', 'u1/sub/a')).result, 'allow');
    assert.equal((await auth.authorize(c, 'publish', 'u1/sub/a')).result, 'deny');
    assert.equal((await auth.authorize(c, 'subscribe', 'u1/both')).result, 'allow');
    assert.equal((await auth.authorize(c, 'publish', 'own/c1')).result, 'allow');
    assert.equal((await auth.authorize(c, 'subscribe', 'public/news')).result, 'allow', '$all document');
    assert.equal((await auth.authorize(client({ username: 'other' }), 'subscribe', 'public/x')).result, 'allow');
    assert.equal((await auth.authorize(client({ username: 'other' }), 'publish', 'public/x')).result, 'deny');
    assert.deepEqual(store.queries.at(-1)!.selector, { $or: [{ username: 'other' }, { username: '$all' }] });
  });

  it('no document at all ignores; acl disabled or a $ username never queries (fake MongoDB)', async () => {
    const { store, auth } = setup();
    assert.equal((await auth.authorize(client({ username: 'nobody' }), 'publish', 't')).result, 'ignore');
    const before = store.queries.length;
    assert.equal((await auth.authorize(client({ username: '$sys' }), 'publish', 't')).result, 'ignore');
    const off = setup({ acl_query: { enable: false, collection: 'mqtt_acl', selector: 'username=%u', selectors: [] } });
    assert.equal((await off.auth.authorize(client(), 'publish', 't')).result, 'ignore');
    assert.equal(store.queries.length, before);
    assert.equal(off.store.queries.length, 0);
  });
});

describe('auth-mongodb: driver adapter (no server: typecheck, options, bounded failure)', () => {
  it('connection string and options from the 4.x config', () => {
    const c = mongodbConfig({ servers: ['10.0.0.1:27017', '10.0.0.2:27018'], mongo_type: 'rs', rs_set_name: 'rs0', username: 'u', password: 'p', r_mode: 'slave_ok' });
    assert.equal(mongoUri(c), 'mongodb://10.0.0.1:27017,10.0.0.2:27018/');
    const o = mongoClientOptions(c, 5000, '/tmp');
    assert.equal(o.replicaSet, 'rs0');
    assert.deepEqual(o.auth, { username: 'u', password: 'p' });
    assert.equal(o.authSource, 'mqtt');
    assert.equal(o.serverSelectionTimeoutMS, 5000);
    assert.equal(mongoUri(mongodbConfig({ srv_record: true, servers: ['cluster0.example.com:27017'] })), 'mongodb+srv://cluster0.example.com/');
    assert.equal(mongoClientOptions(mongodbConfig(), 5000, '/tmp').directConnection, true);
  });

  it('a query with no server listening fails within the timeout; the module answers on_backend_error', async () => {
    const port = await freePort();
    const config = mongodbConfig({ servers: [`127.0.0.1:${port}`], query_timeout: '300ms', on_backend_error: 'deny' });
    const store = new MongoDriverStore(config, 300, '/tmp');
    const guard = new BackendGuard({ timeoutMs: 300, onError: 'deny', log, name: 'mongodb' });
    try {
      const auth = new MongoAuth(config, () => store, guard);
      const decision = await auth.authenticate(connect('alice', 'pw'));
      assert.equal(decision.result, 'deny');
      assert.equal(guard.health().state, 'degraded');
    } finally {
      await store.close();
    }
  });

  it('check(): selectors, rs name, srv with one host, timeout', () => {
    assert.deepEqual(authMongodb.check!(mongodbConfig()), []);
    const pointers = (c: AuthMongodbConfig) => authMongodb.check!(c).map((p) => p.pointer);
    assert.deepEqual(pointers(mongodbConfig({ mongo_type: 'rs' })), ['/rs_set_name']);
    assert.deepEqual(pointers(mongodbConfig({ srv_record: true, servers: ['a:1', 'b:2'] })), ['/servers']);
    assert.deepEqual(pointers(mongodbConfig({ query_timeout: '0s' })), ['/query_timeout']);
    const bad = mongodbConfig();
    bad.acl_query.selectors = ['ok=1', '$where=x'];
    assert.deepEqual(pointers(bad), ['/acl_query/selectors/1']);
  });
});
