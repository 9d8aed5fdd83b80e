import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authHttp, httpParams } from '../../migrations/legacy/auth-http.js';
import { authJwt } from '../../migrations/legacy/auth-jwt.js';
import { authLdap } from '../../migrations/legacy/auth-ldap.js';
import { assertKey, forwardConf, outcome, roundTrip, withDefaults } from '../fixtures/migrate-ma/harness.js';

describe('emqx_auth_http -> auth-http', () => {
  it('4.1/4.2 shape: URL keys, content_type, global headers, timeout 0, retries', () => {
    const r = forwardConf(
      authHttp,
      `
      auth.http.auth_req = http://127.0.0.1:8991/mqtt/auth
      auth.http.auth_req.method = post
      auth.http.auth_req.content_type = json
      auth.http.auth_req.params = clientid=%c,username=%u,password=%P
      auth.http.acl_req = http://127.0.0.1:8991/mqtt/acl
      auth.http.acl_req.method = get
      auth.http.acl_req.params = access=%A,username=%u,topic=%t
      auth.http.header.X-Api-Key = k1
      auth.http.request.timeout = 0
      auth.http.request.connect_timeout = 3s
      auth.http.request.retry_times = 3
      `,
      '4.1.5',
    );
    const c = withDefaults('auth-http', r.config);
    const auth = c.auth_req as Record<string, unknown>;
    const acl = c.acl_req as Record<string, unknown>;
    const sup = c.super_req as Record<string, unknown>;
    assert.equal(auth.enable, true);
    assert.equal(auth.url, 'http://127.0.0.1:8991/mqtt/auth');
    assert.deepEqual(auth.headers, { 'content-type': 'application/json', 'x-api-key': 'k1' });
    assert.deepEqual(auth.params, { clientid: '%c', username: '%u', password: '%P' });
    assert.equal(acl.enable, true);
    assert.equal(acl.method, 'get');
    assert.deepEqual(acl.headers, { 'x-api-key': 'k1' }, 'global headers go to every request');
    assert.equal(sup.enable, false, 'no super_req URL: disabled');
    assert.equal(c.request_timeout, '5s', '0 (never) is not carried');
    assert.equal(c.connect_timeout, '3s');
    assert.equal(c.on_backend_error, 'deny', '4.x denied when the request failed');
    assertKey(r, 'auth.http.auth_req', 'mapped', 1, 'auth-http#/auth_req/url');
    assertKey(r, 'auth.http.auth_req.method', 'defaulted', 2);
    assertKey(r, 'auth.http.auth_req.content_type', 'mapped', 3, 'auth-http#/auth_req/headers/content-type');
    assertKey(r, 'auth.http.auth_req.params', 'defaulted', 4);
    assertKey(r, 'auth.http.header.X-Api-Key', 'mapped', 8, 'auth-http#/auth_req/headers/x-api-key');
    assertKey(r, 'auth.http.request.timeout', 'not-mapped', 9);
    assertKey(r, 'auth.http.request.retry_times', 'not-mapped', 11);
    assert.deepEqual(r.warnings.map((w) => [w.code, w.location?.line]), [['invalid-value', 9]]);
  });
  it('4.3 shape: header names normalised, pipelining, reverse writes 4.3 keys', () => {
    const r = forwardConf(
      authHttp,
      `
      auth.http.auth_req.url = https://auth.local/mqtt/auth
      auth.http.auth_req.method = post
      auth.http.auth_req.headers.content_type = application/x-www-form-urlencoded
      auth.http.auth_req.headers.X_Token = abc
      auth.http.auth_req.params = clientid=%c,username=%u,password=%P
      auth.http.super_req.url = https://auth.local/mqtt/superuser
      auth.http.super_req.params = clientid=%c,username=%u
      auth.http.timeout = 2s
      auth.http.pool_size = 32
      auth.http.enable_pipelining = false
      auth.http.ssl.cacertfile = etc/certs/ca.pem
      auth.http.ssl.verify = true
      `,
      '4.3.22',
    );
    const c = withDefaults('auth-http', r.config);
    const auth = c.auth_req as Record<string, unknown>;
    assert.deepEqual(auth.headers, { 'content-type': 'application/x-www-form-urlencoded', 'x-token': 'abc' });
    assert.equal((c.super_req as Record<string, unknown>).enable, true);
    assert.equal((c.acl_req as Record<string, unknown>).enable, false);
    assert.equal(c.pipelining, 1);
    assert.deepEqual(c.ssl, { cafile: 'etc/certs/ca.pem', verify: true });
    assertKey(r, 'auth.http.auth_req.headers.X_Token', 'mapped', 4, 'auth-http#/auth_req/headers/x-token');
    assertKey(r, 'auth.http.pool_size', 'mapped', 9, 'auth-http#/pool_size');
    const lines = authHttp.reverse(c);
    assert.ok(lines.some((l) => l.key === 'auth.http.auth_req.headers.x-token' && l.value === 'abc'));
    assert.ok(!lines.some((l) => l.key === 'auth.http.acl_req.url'), 'a disabled request has no URL key');
    assert.deepEqual(roundTrip(authHttp, 'auth-http', c), c);
  });
  it('params codec keeps 4.x tokens and refuses what 4.x cannot write', () => {
    assert.deepEqual(httpParams.decode('a=%u,b=%c'), { a: '%u', b: '%c' });
    assert.throws(() => httpParams.decode('a=%u,b'));
    assert.throws(() => httpParams.encode({ a: 'x,y' }));
  });
});

describe('emqx_auth_jwt -> auth-jwt', () => {
  it('secret, jwks (4.3), claims and acl claim', () => {
    const r = forwardConf(
      authJwt,
      `
      auth.jwt.secret = emqxsecret
      auth.jwt.jwks = https://idp.local/jwks
      auth.jwt.jwks.refresh_interval = 5m
      auth.jwt.from = username
      auth.jwt.pubkey = etc/certs/jwt_public_key.pem
      auth.jwt.verify_claims = on
      auth.jwt.verify_claims.username = %u
      auth.jwt.verify_claims.sub = %c
      auth.jwt.acl_claim_name = perms
      `,
      '4.4.19',
    );
    const c = withDefaults('auth-jwt', r.config);
    assert.equal(c.secret, 'emqxsecret');
    assert.equal(c.jwks_url, 'https://idp.local/jwks');
    assert.equal(c.from, 'username');
    assert.equal(c.verify_claims, true);
    assert.deepEqual(c.claims, { username: '%u', sub: '%c' });
    assert.equal(c.acl_claim_name, 'perms');
    assert.equal(outcome(r, 'auth.jwt.secret').secret, true);
    assertKey(r, 'auth.jwt.jwks.refresh_interval', 'defaulted', 3);
    assertKey(r, 'auth.jwt.verify_claims.sub', 'mapped', 8, 'auth-jwt#/claims/sub');
    assert.deepEqual(roundTrip(authJwt, 'auth-jwt', c), c);
  });
});

describe('emqx_auth_ldap -> auth-ldap', () => {
  it('absent keys run with the 4.x defaults; filters; 4.1 verify_peer default', () => {
    const r = forwardConf(
      authLdap,
      `
      auth.ldap.servers = ldap1.local, ldap2.local
      auth.ldap.port = 636
      auth.ldap.ssl = true
      auth.ldap.ssl.certfile = etc/certs/cert.pem
      auth.ldap.filters.1.key = objectClass
      auth.ldap.filters.1.value = mqttUser
      auth.ldap.filters.1.op = and
      auth.ldap.filters.2.key = ou
      auth.ldap.filters.2.value = dev
      auth.ldap.ssl.fail_if_no_peer_cert = true
      `,
      '4.1.5',
    );
    const c = withDefaults('auth-ldap', r.config);
    assert.deepEqual(c.servers, ['ldap1.local', 'ldap2.local']);
    assert.equal(c.bind_password, 'public', 'absent bind_password was public');
    assert.equal(c.bind_dn, 'cn=root,dc=emqx,dc=io');
    assert.deepEqual(c.ssl, { enable: true, certfile: 'etc/certs/cert.pem', verify: true });
    assert.deepEqual(c.filters, [{ key: 'objectClass', value: 'mqttUser', op: 'and' }, { key: 'ou', value: 'dev', op: 'and' }]);
    assertKey(r, 'auth.ldap.filters.2.value', 'mapped', 9, 'auth-ldap#/filters/1/value');
    assertKey(r, 'auth.ldap.ssl.fail_if_no_peer_cert', 'not-mapped', 10);
    assert.deepEqual(roundTrip(authLdap, 'auth-ldap', c, '4.4.19'), c);
  });
  it('4.0/4.1 ssl.keyfile is warned (the schema key had a trailing space)', () => {
    const r = forwardConf(authLdap, 'auth.ldap.ssl.keyfile = etc/certs/key.pem\n', '4.0.13');
    assert.deepEqual(r.warnings.map((w) => [w.code, w.location?.line]), [['unknown-in-version', 1]]);
  });
});
