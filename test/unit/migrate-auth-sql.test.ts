import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authMysql } from '../../migrations/legacy/auth-mysql.js';
import { authPgsql } from '../../migrations/legacy/auth-pgsql.js';
import { authRedis } from '../../migrations/legacy/auth-redis.js';
import { authMongo } from '../../migrations/legacy/auth-mongo.js';
import { passwordHash, hostPort } from '../../migrations/legacy/auth-common.js';
import { CodecError } from '../../migrations/legacy/codecs.js';
import { assertKey, forwardConf, roundTrip, withDefaults } from '../fixtures/migrate-ma/harness.js';

describe('password_hash codec', () => {
  it('reads every 4.x form and writes it back', () => {
    const cases: [string, object][] = [
      ['sha256', { name: 'sha256', salt_position: 'disable' }],
      ['salt,md5', { name: 'md5', salt_position: 'prefix' }],
      ['sha512,salt', { name: 'sha512', salt_position: 'suffix' }],
      ['bcrypt', { name: 'bcrypt', salt_position: 'disable' }],
      ['pbkdf2,sha256,1000,20', { name: 'pbkdf2', mac_fun: 'sha256', iterations: 1000, dk_length: 20 }],
    ];
    for (const [raw, value] of cases) {
      assert.deepEqual(passwordHash.decode(raw), value, raw);
      assert.equal(passwordHash.encode(passwordHash.decode(raw)), raw);
    }
  });
  it('rejects unknown hashes and falls back to plain where 4.x did (3 tokens)', () => {
    assert.throws(() => passwordHash.decode('sha384'), CodecError);
    assert.throws(() => passwordHash.decode('pbkdf2,sha999,1,1'), CodecError);
    assert.deepEqual(passwordHash.decode('a,b,c'), { name: 'plain', salt_position: 'disable' });
  });
  it('server addresses get the default port', () => {
    assert.equal(hostPort(3306).decode('db.local'), 'db.local:3306');
    assert.equal(hostPort(3306).decode('10.0.0.1:3307'), '10.0.0.1:3307');
    assert.equal(hostPort(3306).decode('3308'), '127.0.0.1:3308');
    assert.equal(hostPort(6379).decode('::1'), '[::1]:6379');
    assert.throws(() => hostPort(1).decode('a b'), CodecError);
  });
});

describe('emqx_auth_mysql -> auth-mysql', () => {
  const text = `
    ## MySQL server address.
    auth.mysql.server = db.local
    auth.mysql.pool = 16
    auth.mysql.username = emqx
    auth.mysql.password = s3cret
    auth.mysql.database = mqtt
    auth.mysql.ssl = on
    auth.mysql.ssl.cafile = /etc/emqx/certs/ca.pem
    auth.mysql.auth_query = select password, salt from mqtt_user where username = '%u' limit 1
    auth.mysql.password_hash = salt,sha256
    auth.mysql.super_query = select is_superuser from mqtt_user where username = '%u' limit 1
    auth.mysql.acl_query = select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'
    auth.mysql.bogus = 1
  `;
  it('forward: values, classes and lines (4.2 spelling of the CA file)', () => {
    const r = forwardConf(authMysql, text, '4.2.14');
    const c = withDefaults('auth-mysql', r.config);
    assert.equal(c.server, 'db.local:3306');
    assert.equal(c.pool_size, 16);
    assert.equal(c.password, 's3cret');
    assert.equal(c.query_timeout, '5m', 'absent query_timeout was 5m in 4.x');
    assert.deepEqual(c.ssl, { enable: true, cafile: '/etc/emqx/certs/ca.pem', verify: false });
    assert.deepEqual(c.password_hash, { name: 'sha256', salt_position: 'prefix', mac_fun: 'sha256', iterations: 4096, dk_length: 32 });
    assert.equal(c.acl_query, "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'");
    assert.equal(c.on_backend_error, 'deny', '4.2+ denied when the query failed');
    assertKey(r, 'auth.mysql.server', 'mapped', 2, 'auth-mysql#/server');
    assertKey(r, 'auth.mysql.database', 'defaulted', 6, 'auth-mysql#/database');
    assertKey(r, 'auth.mysql.ssl.cafile', 'mapped', 8, 'auth-mysql#/ssl/cafile');
    assertKey(r, 'auth.mysql.password_hash', 'mapped', 10, 'auth-mysql#/password_hash');
    assertKey(r, 'auth.mysql.bogus', 'not-mapped', 13);
    assert.equal(r.keys.find((k) => k.key === 'auth.mysql.password')?.secret, true);
    assert.deepEqual(r.warnings.map((w) => [w.code, w.location?.line]), [['unknown-key', 13]]);
  });
  it('an absent auth_query disables authentication by the module; 4.0 ignored on backend errors', () => {
    const c = withDefaults('auth-mysql', forwardConf(authMysql, 'auth.mysql.acl_query = select 1\n', '4.0.13').config);
    assert.equal(c.on_backend_error, 'ignore');
    assert.equal(c.auth_query, '');
    assert.equal(c.super_query, '');
  });
  it('reverse writes the 4.3 spelling and forward reads it back', () => {
    const c = withDefaults('auth-mysql', forwardConf(authMysql, text, '4.2.14').config);
    const lines = authMysql.reverse(c);
    assert.ok(lines.some((l) => l.key === 'auth.mysql.ssl.cacertfile' && l.value === '/etc/emqx/certs/ca.pem'));
    assert.ok(!lines.some((l) => l.key === 'auth.mysql.ssl.cafile'));
    assert.ok(lines.some((l) => l.key === 'auth.mysql.password_hash' && l.value === 'salt,sha256'));
    assert.deepEqual(roundTrip(authMysql, 'auth-mysql', c), c);
  });
});

describe('emqx_auth_pgsql -> auth-postgresql', () => {
  it('4.2 ssl = true with ssl_opts.* and tls_versions; unused pbkdf2 keys are not mapped', () => {
    const r = forwardConf(
      authPgsql,
      `
      auth.pgsql.server = 127.0.0.1:5432
      auth.pgsql.username = root
      auth.pgsql.database = mqtt
      auth.pgsql.encoding = utf8
      auth.pgsql.ssl = true
      auth.pgsql.ssl_opts.cacertfile = etc/certs/ca.pem
      auth.pgsql.ssl.tls_versions = tlsv1.2,tlsv1.1
      auth.pgsql.auth_query = select password from mqtt_user where username = '%u' limit 1
      auth.pgsql.password_hash = pbkdf2,sha256,1000,20
      auth.pgsql.pbkdf2_macfun = sha256
      `,
      '4.2.14',
    );
    const c = withDefaults('auth-postgresql', r.config);
    assert.equal(c.server, '127.0.0.1:5432');
    assert.equal(c.username, 'root');
    assert.deepEqual(c.ssl, { enable: true, cafile: 'etc/certs/ca.pem', versions: ['tlsv1.2', 'tlsv1.1'], verify: false });
    assert.deepEqual(c.password_hash, { name: 'pbkdf2', mac_fun: 'sha256', iterations: 1000, dk_length: 20, salt_position: 'disable' });
    assertKey(r, 'auth.pgsql.server', 'defaulted', 1);
    assertKey(r, 'auth.pgsql.ssl_opts.cacertfile', 'mapped', 6, 'auth-postgresql#/ssl/cafile');
    assertKey(r, 'auth.pgsql.pbkdf2_macfun', 'not-mapped', 10);
    assert.deepEqual(r.warnings, []);
    const lines = authPgsql.reverse(c);
    assert.ok(lines.some((l) => l.key === 'auth.pgsql.ssl' && l.value === 'on'));
    assert.ok(lines.some((l) => l.key === 'auth.pgsql.ssl.cacertfile'));
    assert.deepEqual(roundTrip(authPgsql, 'auth-postgresql', c), c);
  });
});

describe('emqx_auth_redis -> auth-redis', () => {
  it('sentinel servers, 4.2 cafile spelling, commands kept verbatim', () => {
    const r = forwardConf(
      authRedis,
      `
      auth.redis.type = sentinel
      auth.redis.server = 10.0.0.1:26379,10.0.0.2:26379, 10.0.0.3
      auth.redis.sentinel = mymaster
      auth.redis.pool = 8
      auth.redis.database = 2
      auth.redis.password = pw
      auth.redis.ssl = on
      auth.redis.cafile = /certs/ca.pem
      auth.redis.auth_cmd = HMGET mqtt_user:%u password salt
      auth.redis.password_hash = sha256,salt
      auth.redis.super_cmd = HGET mqtt_user:%u is_superuser
      auth.redis.acl_cmd = HGETALL mqtt_acl:%u
      `,
      '4.2.14',
    );
    const c = withDefaults('auth-redis', r.config);
    assert.equal(c.redis_type, 'sentinel');
    assert.deepEqual(c.servers, ['10.0.0.1:26379', '10.0.0.2:26379', '10.0.0.3:6379']);
    assert.equal(c.sentinel, 'mymaster');
    assert.equal(c.database, 2);
    assert.equal(c.auth_cmd, 'HMGET mqtt_user:%u password salt');
    assert.deepEqual((c.password_hash as { salt_position: string }).salt_position, 'suffix');
    assert.equal((c.ssl as { cafile: string }).cafile, '/certs/ca.pem');
    assertKey(r, 'auth.redis.pool', 'defaulted', 4, 'auth-redis#/pool_size');
    assertKey(r, 'auth.redis.cafile', 'mapped', 8, 'auth-redis#/ssl/cafile');
    assert.deepEqual(r.warnings.map((w) => w.code), ['timeout-added']);
    assert.deepEqual(roundTrip(authRedis, 'auth-redis', c), c);
  });
});

describe('emqx_auth_mongo -> auth-mongodb', () => {
  const text = `
    auth.mongo.type = rs
    auth.mongo.server = 10.0.0.1:27017,10.0.0.2:27017
    auth.mongo.pool = 8
    auth.mongo.login = admin
    auth.mongo.password = pw
    auth.mongo.database = mqtt
    auth.mongo.ssl = false
    auth.mongo.topology.pool_size = 1
    auth.mongo.topology.max_overflow = 0
    auth.mongo.auth_query.collection = mqtt_user
    auth.mongo.auth_query.password_field = password,salt
    auth.mongo.auth_query.password_hash = sha256,salt
    auth.mongo.auth_query.selector = username=%u
    auth.mongo.super_query = on
    auth.mongo.super_query.selector = username=%u
    auth.mongo.acl_query = on
    auth.mongo.acl_query.collection = mqtt_acl
    auth.mongo.acl_query.selector.2 = username=$all
    auth.mongo.acl_query.selector.1 = username=%u
  `;
  it('forward: 4.2 login spelling, rs default name, selectors in id order, absent selector ""', () => {
    const r = forwardConf(authMongo, text, '4.2.14');
    const c = withDefaults('auth-mongodb', r.config);
    assert.equal(c.mongo_type, 'rs');
    assert.equal(c.rs_set_name, 'mqtt', '4.0-4.3 default replica set name');
    assert.equal(c.username, 'admin');
    assert.deepEqual(c.topology, { pool_size: 1, max_overflow: 0 });
    const aq = c.auth_query as Record<string, unknown>;
    assert.deepEqual(aq.password_field, ['password', 'salt']);
    assert.deepEqual(c.super_query, { enable: true, collection: 'mqtt_user', super_field: 'is_superuser', selector: 'username=%u' });
    assert.deepEqual(c.acl_query, { enable: true, collection: 'mqtt_acl', selector: '', selectors: ['username=%u', 'username=$all'] });
    assertKey(r, 'auth.mongo.login', 'mapped', 4, 'auth-mongodb#/username');
    assertKey(r, 'auth.mongo.acl_query.selector.2', 'mapped', 18, 'auth-mongodb#/acl_query/selectors/1');
    assertKey(r, 'auth.mongo.auth_query.collection', 'defaulted', 10);
    assert.deepEqual(r.warnings, []);
  });
  it('reverse writes username (4.3 spelling) and round-trips', () => {
    const c = withDefaults('auth-mongodb', forwardConf(authMongo, text, '4.2.14').config);
    const lines = authMongo.reverse(c);
    assert.ok(lines.some((l) => l.key === 'auth.mongo.username'));
    assert.ok(!lines.some((l) => l.key === 'auth.mongo.login'));
    assert.deepEqual(roundTrip(authMongo, 'auth-mongodb', c, '4.4.19'), c);
  });
});
