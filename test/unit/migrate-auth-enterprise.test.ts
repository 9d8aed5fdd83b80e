import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authPgsql } from '../../migrations/legacy/auth-pgsql.js';
import { authRedis } from '../../migrations/legacy/auth-redis.js';
import { authMongo } from '../../migrations/legacy/auth-mongo.js';
import { authHttp } from '../../migrations/legacy/auth-http.js';
import { authJwt } from '../../migrations/legacy/auth-jwt.js';
import { authMnesia } from '../../migrations/legacy/auth-mnesia.js';
import { authSasl } from '../../migrations/legacy/auth-sasl.js';
import { pskFile } from '../../migrations/legacy/psk-file.js';
import { aclFile } from '../../migrations/legacy/acl-file.js';
import type { ForwardResult, LegacyMapping } from '../../migrations/legacy/mapping.js';
import { withDefaults } from '../fixtures/migrate-ma/harness.js';

const at = { file: 'emqx-export.json', line: 12 };
const noFile = { filename: '', file: '' };

function ee(mapping: LegacyMapping, config: Record<string, unknown>): ForwardResult {
  assert.ok(mapping.fromEnterprise);
  return mapping.fromEnterprise(config, at);
}

const classOf = (r: ForwardResult, key: string) => r.keys.find((k) => k.key === key)?.class;

describe('EE 4.x auth modules (fromEnterprise)', () => {
  it('pgsql_authentication as exported by e4.4', () => {
    const r = ee(authPgsql, {
      verify: false, user: 'postgres', super_query: "select is_superuser from mqtt_user where username = '%u' limit 1", ssl: false,
      server: 'postgres:5432', query_timeout: '5s', pool_size: 8, password_hash: 'sha256', password: 'postgres', keyfile: noFile,
      database: 'postgres', certfile: noFile, cacertfile: noFile, auto_reconnect: true,
      auth_query: "select password from mqtt_user where username = '%u' limit 1", acl_query: '',
    });
    const c = withDefaults('auth-postgresql', r.config);
    assert.equal(c.server, 'postgres:5432');
    assert.equal(c.username, 'postgres');
    assert.equal(c.database, 'postgres');
    assert.deepEqual((c.password_hash as { name: string }).name, 'sha256');
    assert.equal(classOf(r, 'auto_reconnect'), 'not-mapped');
    assert.equal(classOf(r, 'cacertfile'), 'defaulted');
    assert.equal(r.keys.find((k) => k.key === 'password')?.secret, true);
    assert.equal(r.keys[0]!.location, at);
    assert.deepEqual(r.warnings, []);
  });
  it('redis_authentication; unknown keys are reported', () => {
    const r = ee(authRedis, {
      type: 'single', server: 'redis:6379', sentinel: '', database: 0, password: '', pool_size: 8, password_hash: 'plain',
      auth_cmd: 'HMGET mqtt_user:%u password', super_cmd: 'HGET mqtt_user:%u is_superuser', acl_cmd: 'HGETALL mqtt_acl:%u',
      query_timeout: '5s', ssl: false, verify: false, cacertfile: { filename: 'ca.pem', file: '-----BEGIN CERTIFICATE-----' }, extra: 1,
    });
    const c = withDefaults('auth-redis', r.config);
    assert.deepEqual(c.servers, ['redis:6379']);
    assert.equal((c.ssl as { cafile: string }).cafile, 'etc/certs/ca.pem');
    assert.deepEqual(r.warnings.map((w) => w.code).sort(), ['enterprise-file', 'unknown-key']);
  });
  it('mongo_authentication: shared -> sharded, topology durations in ms, selectors', () => {
    const r = ee(authMongo, {
      type: 'shared', server: '127.0.0.1:27017', pool_size: 8, login: 'admin', password: 'public', auth_source: 'admin', database: 'mqtt',
      auth_query_collection: 'mqtt_user', auth_query_selector: 'username=%u', auth_query_password_field: 'password,salt',
      auth_query_password_hash: 'sha256', super_query_collection: '', super_query_field: '', super_query_selector: '',
      acl_query_collection: 'mqtt_acl', acl_query_selectors: [{ acl_query_selector: 'username=%u' }, { acl_query_selector: 'username=$all' }],
      w_mode: 'undef', r_mode: 'slave-ok', topology_connect_timeout_ms: '20s', ssl: false,
    });
    const c = withDefaults('auth-mongodb', r.config);
    assert.equal(c.mongo_type, 'sharded');
    assert.equal(c.r_mode, 'slave_ok');
    assert.deepEqual(c.topology, { connect_timeout_ms: 20000 });
    assert.deepEqual((c.auth_query as Record<string, unknown>).password_field, ['password', 'salt']);
    assert.equal((c.super_query as Record<string, unknown>).enable, false);
    assert.deepEqual(c.acl_query, { collection: 'mqtt_acl', selectors: ['username=%u', 'username=$all'], enable: true, selector: '' });
  });
  it('http_authentication: one method/content type/headers for all requests, deny on backend error', () => {
    const r = ee(authHttp, {
      auth_req: 'http://127.0.0.1:8991/mqtt/auth', auth_req_params: 'clientid=%c,username=%u,password=%P',
      acl_req: '', acl_req_params: 'access=%A', super_req: '', super_req_params: '', method: 'GET',
      req_content_type: 'application/json', http_headers: { Accept: '*/*' }, http_opts_retry_times: 5,
      http_opts_timeout: '5s', http_opts_connect_timeout: '5s', pool_size: 8,
    });
    const c = withDefaults('auth-http', r.config);
    const auth = c.auth_req as Record<string, unknown>;
    assert.equal(auth.enable, true);
    assert.equal(auth.method, 'get');
    assert.deepEqual(auth.headers, { accept: '*/*', 'content-type': 'application/json' });
    assert.equal((c.acl_req as Record<string, unknown>).enable, false);
    assert.equal((c.acl_req as Record<string, unknown>).method, 'get');
    assert.equal(c.on_backend_error, 'deny');
    assert.equal(classOf(r, 'http_opts_retry_times'), 'not-mapped');
  });
  it('jwt, mnesia, sasl, psk and internal_acl', () => {
    const jwt = withDefaults('auth-jwt', ee(authJwt, { from: 'password', secret: 'k', jwks_addr: '', verify_claims: 'true', claims: { username: '%u' } }).config);
    assert.equal(jwt.verify_claims, true);
    assert.deepEqual(jwt.claims, { username: '%u' });
    const db = withDefaults('auth-builtin-db', ee(authMnesia, { password_hash: 'sha256', max_acls_for_each_login: 5 }).config);
    assert.equal(db.max_acls_per_login, 5);
    assert.deepEqual(withDefaults('auth-scram', ee(authSasl, {}).config).iteration_count, 4096);
    const psk = ee(pskFile, { psk_file: { filename: 'psk.txt', file: 'client1:1234\nclient2:abcd\nclient1:zz\n' } });
    assert.deepEqual(withDefaults('auth-psk', psk.config).entries, [{ identity: 'client1', secret: 'zz' }, { identity: 'client2', secret: 'abcd' }]);
    const acl = ee(aclFile, { acl_rule_file: { filename: 'acl.conf', file: '%% c\n{allow, {user, "dashboard"}, subscribe, ["$SYS/#"]}.\n{deny, all}.\n' } });
    assert.deepEqual(withDefaults('acl-file', acl.config).rules, [
      { permission: 'allow', who: { kind: 'user', value: 'dashboard' }, access: 'subscribe', topics: [{ filter: '$SYS/#' }] },
      { permission: 'deny', who: { kind: 'all' }, access: 'pubsub' },
    ]);
    assert.deepEqual(acl.keys.map((k) => k.location.line), [12, 2, 3]);
  });
});
