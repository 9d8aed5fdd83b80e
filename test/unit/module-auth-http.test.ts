import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { authHttp, type AuthHttpConfig } from '../../src/modules/auth-http/index.js';
import type { HttpRequestConfig } from '../../src/modules/auth-http/config.js';
import { aclDecision, authDecision, connackReasonFor, isSuperuser } from '../../src/modules/auth-http/decisions.js';
import { aclValues, clientValues, fillParams } from '../../src/modules/auth-http/param-template.js';
import { buildRequest, FORM } from '../../src/modules/auth-http/request-builder.js';

const client = (over: Partial<ClientInfo> = {}): ClientInfo => ({
  clientId: 'c1',
  username: 'alice',
  peerHost: '::ffff:10.0.0.7',
  peerPort: 50000,
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
});

const req = (over: Partial<HttpRequestConfig> = {}): HttpRequestConfig => ({
  enable: true,
  url: 'http://127.0.0.1:8080/mqtt/auth?fixed=1',
  method: 'post',
  headers: {},
  params: {},
  ...over,
});

describe('auth-http request building', () => {
  test('GET: params in the query string (kept with the URL query), content-type dropped', () => {
    const built = buildRequest(req({ method: 'get', headers: { 'content-type': 'application/json', Accept_Language: 'x' } }), { u: 'a b', c: 'é&=' });
    assert.equal(built.method, 'GET');
    assert.equal(built.body, undefined);
    assert.equal(built.url.searchParams.get('fixed'), '1');
    assert.equal(built.url.searchParams.get('u'), 'a b');
    assert.equal(built.url.searchParams.get('c'), 'é&=');
    assert.deepEqual(built.headers, { 'accept-language': 'x' }, 'names normalised, content-type gone');
  });

  test('POST without content-type: form body and the form content-type', () => {
    const built = buildRequest(req(), { username: 'alice', password: 'p&ss=1' });
    assert.equal(built.method, 'POST');
    assert.equal(built.headers['content-type'], FORM);
    assert.equal(built.body, 'username=alice&password=p%26ss%3D1');
  });

  test('POST with application/json: JSON body', () => {
    const built = buildRequest(req({ headers: { content_type: 'application/json', 'x-token': 't' } }), { a: '1' });
    assert.equal(built.headers['content-type'], 'application/json');
    assert.equal(built.headers['x-token'], 't');
    assert.deepEqual(JSON.parse(built.body!), { a: '1' });
  });

  test('property: form and JSON bodies and GET queries carry the params unchanged', () => {
    const params = fc.dictionary(fc.string({ minLength: 1 }), fc.string(), { maxKeys: 6 });
    fc.assert(
      fc.property(params, (generated) => {
        const p: Record<string, string> = { ...generated };
        const form = buildRequest(req(), p);
        assert.deepEqual(Object.fromEntries(new URLSearchParams(form.body)), p);
        const json = buildRequest(req({ headers: { 'content-type': 'application/json' } }), p);
        assert.deepEqual(JSON.parse(json.body!), p);
        const get = buildRequest(req({ method: 'get', url: 'http://h/x' }), p);
        assert.deepEqual(Object.fromEntries(get.url.searchParams), p);
      }),
    );
  });
});

describe('auth-http placeholders', () => {
  test('auth request values: %u %c %a %P %p %r, absent cert fields empty, %m empty', () => {
    const values = clientValues(client(), Buffer.from('pw'));
    const filled = fillParams({ x: '%u:%c:%a:%P:%p:%r:%C:%d:%m', lit: 'plain', unknown: '%z' }, values);
    assert.deepEqual(filled, { x: 'alice:c1:10.0.0.7:pw:1883:mqtt:::', lit: 'plain', unknown: '%z' });
  });

  test('ACL values: %A 1 for subscribe, 2 for publish, %t the topic; no password', () => {
    assert.deepEqual(fillParams({ a: '%A', t: '%t', p: '%P' }, aclValues(client(), 'subscribe', 'a/+')), { a: '1', t: 'a/+', p: '' });
    assert.deepEqual(fillParams({ a: '%A' }, aclValues(client(), 'publish', 'a/b')), { a: '2' });
  });

  test('a value containing a placeholder is not expanded again; no username -> empty', () => {
    const values = clientValues(client({ username: '%c', clientId: 'id' }));
    assert.deepEqual(fillParams({ u: '%u' }, values), { u: '%c' });
    assert.deepEqual(fillParams({ u: 'x%uy' }, clientValues(client({ username: undefined }))), { u: 'xy' });
  });
});

describe('auth-http decisions (4.x status semantics)', () => {
  test('auth: 200 allows, 200 ignore passes on, other statuses deny with a CONNACK reason', () => {
    assert.deepEqual(authDecision({ status: 200, body: 'ok' }), { result: 'allow' });
    assert.deepEqual(authDecision({ status: 200, body: '' }), { result: 'allow' });
    assert.deepEqual(authDecision({ status: 200, body: 'ignore\n' }), { result: 'ignore' });
    const denied = authDecision({ status: 401, body: '' });
    assert.equal(denied.result, 'deny');
    assert.equal(denied.result === 'deny' && denied.reasonCode, 0x86);
    assert.equal(authDecision({ status: 204, body: '' }).result, 'deny', 'only 200 allows');
  });

  test('status -> CONNACK reason', () => {
    assert.deepEqual(
      [400, 401, 403, 429, 500, 503, 504, 302].map(connackReasonFor),
      [0x86, 0x86, 0x87, 0x8a, 0x88, 0x88, 0x89, 0x88],
    );
  });

  test('acl: 200 allow, 200 ignore -> ignore, else deny; superuser: any 200', () => {
    assert.deepEqual(aclDecision({ status: 200, body: 'allow' }), { result: 'allow' });
    assert.deepEqual(aclDecision({ status: 200, body: 'ignore' }), { result: 'ignore' });
    assert.equal(aclDecision({ status: 403, body: '' }).result, 'deny');
    assert.equal(aclDecision({ status: 500, body: 'ignore' }).result, 'deny');
    assert.equal(isSuperuser({ status: 200, body: '' }), true);
    assert.equal(isSuperuser({ status: 404, body: '' }), false);
  });
});

describe('auth-http check()', () => {
  const base = (): AuthHttpConfig => ({
    auth_req: req(),
    super_req: req({ enable: false }),
    acl_req: req({ enable: false }),
    request_timeout: '5s',
    connect_timeout: '5s',
    pool_size: 8,
    pipelining: 100,
    ssl: { verify: false },
    on_backend_error: 'ignore',
  });

  test('a valid config has no problems', () => {
    assert.deepEqual(authHttp.check!(base()), []);
  });

  test('non-http URLs and zero timeouts are refused with pointers', () => {
    const bad = base();
    bad.acl_req = req({ url: 'ftp://x/acl' });
    bad.request_timeout = '0s';
    const problems = authHttp.check!(bad);
    assert.deepEqual(problems.map((p) => p.pointer).sort(), ['/acl_req/url', '/request_timeout']);
  });
});
