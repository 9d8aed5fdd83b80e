/**
 * auth-http against real node:http(s) servers on port 0 that record every request, with MQTT.js
 * clients through a real broker (test/helpers/mqtt-harness.ts).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type ClusterSettings, DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';
import { authHttp, type AuthHttpConfig } from '../../src/modules/auth-http/index.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { moduleContext } from '../helpers/module-context.js';
import { connectError, type Harness, nextMessages, startHarness, subscribeGranted, waitFor } from '../helpers/mqtt-harness.js';
import { makeTestCerts, type TestCerts } from '../helpers/tls-certs.js';

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Params from the query (GET) or the body (form or JSON). */
  params: Record<string, string>;
}
type Reply = { status: number; body?: string } | 'hang';

interface Recorder {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

async function startRecorder(reply: (r: Recorded) => Reply, tls?: TestCerts): Promise<Recorder> {
  const requests: Recorded[] = [];
  const hanging: http.ServerResponse[] = [];
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      const query = Object.fromEntries(url.searchParams);
      const type = req.headers['content-type'] ?? '';
      const params = req.method === 'GET' ? query : type.includes('json') ? (JSON.parse(body) as Record<string, string>) : Object.fromEntries(new URLSearchParams(body));
      const recorded: Recorded = { method: req.method ?? '', path: url.pathname, query, headers: req.headers, body, params };
      requests.push(recorded);
      const answer = reply(recorded);
      if (answer === 'hang') {
        hanging.push(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body ?? '');
    });
  };
  const server = tls ? https.createServer({ cert: tls.ca, key: (await import('node:fs')).readFileSync(tls.keyfile) }, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const settings = (over: Partial<ClusterSettings>): ClusterSettings => ({ ...structuredClone(DEFAULT_SETTINGS), allow_anonymous: false, ...over });

/** A full config (what the schema's defaults would give) with overrides per request. */
function config(base: string, over: Partial<AuthHttpConfig> = {}): AuthHttpConfig {
  return {
    auth_req: { enable: true, url: `${base}/mqtt/auth`, method: 'post', headers: {}, params: { clientid: '%c', username: '%u', password: '%P' } },
    super_req: { enable: false, url: `${base}/mqtt/superuser`, method: 'post', headers: {}, params: { clientid: '%c', username: '%u' } },
    acl_req: {
      enable: false,
      url: `${base}/mqtt/acl`,
      method: 'post',
      headers: {},
      params: { access: '%A', username: '%u', clientid: '%c', ipaddr: '%a', topic: '%t', mountpoint: '%m' },
    },
    request_timeout: '5s',
    connect_timeout: '5s',
    pool_size: 4,
    pipelining: 100,
    ssl: { verify: false },
    on_backend_error: 'ignore',
    ...over,
  };
}

/** The usual backend: alice/secret (admin is a superuser), `ignore` for unknown users. */
function backend(r: Recorded): Reply {
  const p = r.params;
  if (r.path === '/mqtt/auth') {
    if (p.username === 'alice' || p.username === 'admin') return p.password === 'secret' ? { status: 200, body: 'ok' } : { status: 401 };
    if (p.username === 'banned') return { status: 429 };
    return { status: 200, body: 'ignore' };
  }
  if (r.path === '/mqtt/superuser') return p.username === 'admin' ? { status: 200 } : { status: 404 };
  if (r.path === '/mqtt/acl') {
    if (p.topic?.startsWith('open/')) return { status: 200, body: 'ignore' };
    return p.topic === `allowed/${p.username}` || p.topic === 'allowed/+' ? { status: 200 } : { status: 403 };
  }
  return { status: 404 };
}

describe('auth-http over MQTT', () => {
  let h: Harness;
  let server: Recorder;
  let instance: ModuleInstance<AuthHttpConfig> | undefined;
  const start = async (cfg: AuthHttpConfig, id = 'auth-http'): Promise<ModuleInstance<AuthHttpConfig>> => {
    await instance?.stop();
    instance = await authHttp.create(moduleContext(h.broker, id), cfg);
    return instance;
  };

  before(async () => {
    h = await startHarness({ settings: { allow_anonymous: false, acl_nomatch: 'allow' } });
    server = await startRecorder(backend);
  });
  after(async () => {
    await instance?.stop();
    await h.close();
    await server.close();
  });

  test('POST form: right password connects; the request carries the params and content type', async () => {
    await start(config(server.url));
    server.requests.length = 0;
    const c = await h.connect({ protocolVersion: 4, clientId: 'cid-1', username: 'alice', password: 'secret' });
    assert.equal(c.connected, true);
    await c.endAsync();
    assert.equal(server.requests.length, 1);
    const r = server.requests[0]!;
    assert.equal(r.method, 'POST');
    assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(r.params, { clientid: 'cid-1', username: 'alice', password: 'secret' });
    assert.deepEqual(instance!.status(), { state: 'running' });
  });

  test('wrong password -> 401 -> bad username or password (v5 0x86, v3 4); 429 -> refused', async () => {
    await start(config(server.url));
    assert.equal((await connectError(h.port(), { protocolVersion: 5, username: 'alice', password: 'nope' })).code, 0x86);
    assert.equal((await connectError(h.port(), { protocolVersion: 4, username: 'alice', password: 'nope' })).code, 4);
    // 0x8a banned reaches aedes as the 3.1.1 code 5 (the broker's mapping), so v5 clients see 0x87.
    assert.equal((await connectError(h.port(), { protocolVersion: 4, username: 'banned', password: 'x' })).code, 5);
  });

  test('unknown user: body ignore passes to the next module (then allow_anonymous)', async () => {
    await start(config(server.url));
    assert.equal((await connectError(h.port(), { protocolVersion: 4, username: 'stranger', password: 'x' })).code, 5, 'allow_anonymous=false');
    h.broker.hooks.setOrder(['auth-http', 'next']);
    const next = h.broker.hooks.scope('next');
    next.authenticate(({ client }) => (client.username === 'stranger' ? { result: 'allow' } : { result: 'ignore' }));
    try {
      const c = await h.connect({ protocolVersion: 4, username: 'stranger', password: 'x' });
      assert.equal(c.connected, true);
      await c.endAsync();
    } finally {
      next.dispose();
    }
  });

  test('GET with JSON content-type header: params in the query, no content-type, custom headers sent', async () => {
    const cfg = config(server.url);
    cfg.auth_req = { ...cfg.auth_req, method: 'get', headers: { 'content-type': 'application/json', 'x-api-key': 'k1' } };
    await start(cfg);
    server.requests.length = 0;
    const c = await h.connect({ protocolVersion: 4, clientId: 'g1', username: 'alice', password: 'secret' });
    await c.endAsync();
    const r = server.requests[0]!;
    assert.equal(r.method, 'GET');
    assert.equal(r.headers['content-type'], undefined);
    assert.equal(r.headers['x-api-key'], 'k1');
    assert.deepEqual(r.query, { clientid: 'g1', username: 'alice', password: 'secret' });
  });

  test('superuser request: 200 marks the client superuser (ACL bypassed); no password sent', async () => {
    const cfg = config(server.url);
    cfg.super_req = { ...cfg.super_req, enable: true, method: 'get' };
    cfg.acl_req = { ...cfg.acl_req, enable: true };
    await start(cfg);
    server.requests.length = 0;
    const admin = await h.connect({ protocolVersion: 4, clientId: 'adm', username: 'admin', password: 'secret' });
    await waitFor(() => h.broker.api.client('adm') !== undefined);
    assert.equal(h.broker.api.client('adm')!.superuser, true);
    const sup = server.requests.find((r) => r.path === '/mqtt/superuser')!;
    assert.equal(sup.method, 'GET');
    assert.deepEqual(sup.query, { clientid: 'adm', username: 'admin' });
    const granted = await subscribeGranted(admin, { 'denied/x': { qos: 0 } });
    assert.equal(granted['denied/x'], 0, 'superuser bypasses the ACL request');
    assert.equal(server.requests.filter((r) => r.path === '/mqtt/acl').length, 0);
    const alice = await h.connect({ protocolVersion: 4, clientId: 'ali', username: 'alice', password: 'secret' });
    await waitFor(() => h.broker.api.client('ali') !== undefined);
    assert.equal(h.broker.api.client('ali')!.superuser, false);
    await admin.endAsync();
    await alice.endAsync();
  });

  test('ACL request (JSON): allow, deny and ignore for subscribe and publish, with %A and %t', async () => {
    const cfg = config(server.url);
    cfg.acl_req = { ...cfg.acl_req, enable: true, headers: { 'content-type': 'application/json' } };
    await start(cfg);
    h.broker.setSettings(settings({ acl_nomatch: 'deny' }));
    try {
      server.requests.length = 0;
      const c = await h.connect({ protocolVersion: 5, clientId: 'acl-1', username: 'alice', password: 'secret' });
      const granted = await subscribeGranted(c, { 'allowed/alice': { qos: 1 }, 'secret/x': { qos: 1 }, 'open/x': { qos: 1 } });
      assert.deepEqual(granted, { 'allowed/alice': 1, 'secret/x': 0x87, 'open/x': 0x87 }, 'open/ ignored -> acl_nomatch deny');
      const sub = server.requests.find((r) => r.path === '/mqtt/acl' && r.params.topic === 'allowed/alice')!;
      assert.equal(sub.headers['content-type'], 'application/json');
      assert.deepEqual(sub.params, { access: '1', username: 'alice', clientid: 'acl-1', ipaddr: '127.0.0.1', topic: 'allowed/alice', mountpoint: '' });

      const got = nextMessages(c, 1);
      await c.publishAsync('secret/x', 'dropped', { qos: 1 }).catch(() => undefined);
      await c.publishAsync('allowed/alice', 'delivered', { qos: 1 });
      const [msg] = await got;
      assert.equal(msg!.payload, 'delivered', 'the denied publish was not delivered');
      const pub = server.requests.find((r) => r.path === '/mqtt/acl' && r.params.access === '2' && r.params.topic === 'secret/x');
      assert.ok(pub, 'publish asked with access 2');
      await c.endAsync();
    } finally {
      h.broker.setSettings(settings({ acl_nomatch: 'allow' }));
    }
  });

  test('backend down: ignore passes on, deny refuses with server unavailable; status degraded, recovers', async () => {
    const dead = await startRecorder(() => ({ status: 200 }));
    const deadUrl = dead.url;
    await dead.close(); // nothing listens there now
    const inst = await start(config(deadUrl, { on_backend_error: 'ignore' }));
    assert.equal((await connectError(h.port(), { protocolVersion: 4, username: 'alice', password: 'secret' })).code, 5, 'ignored -> allow_anonymous=false');
    const status = inst.status();
    assert.equal(status.state, 'degraded');
    assert.match(status.state === 'degraded' ? status.reason : '', /auth request/);

    await inst.update!(config(deadUrl, { on_backend_error: 'deny' }));
    assert.equal((await connectError(h.port(), { protocolVersion: 5, username: 'alice', password: 'secret' })).code, 0x88);
    assert.equal((await connectError(h.port(), { protocolVersion: 4, username: 'alice', password: 'secret' })).code, 3);

    await inst.update!(config(server.url, { on_backend_error: 'deny' }));
    const c = await h.connect({ protocolVersion: 4, username: 'alice', password: 'secret' });
    await c.endAsync();
    assert.deepEqual(inst.status(), { state: 'running' });
  });

  test('a backend that never answers: the request timeout ends the connect (no hang)', async () => {
    const slow = await startRecorder(() => 'hang');
    try {
      const inst = await start(config(slow.url, { request_timeout: '200ms', on_backend_error: 'deny' }));
      assert.equal((await connectError(h.port(), { protocolVersion: 5, username: 'alice', password: 'secret' })).code, 0x88);
      assert.equal(slow.requests.length, 1);
      assert.equal(inst.status().state, 'degraded');
    } finally {
      await instance?.stop();
      instance = undefined;
      await slow.close();
    }
  });

  test('live change: a new URL is used by the next connect, without a restart', async () => {
    const other = await startRecorder(() => ({ status: 200 }));
    try {
      const inst = await start(config(server.url));
      assert.equal((await connectError(h.port(), { protocolVersion: 4, username: 'bob', password: 'x' })).code, 5);
      await inst.update!(config(other.url));
      const c = await h.connect({ protocolVersion: 4, username: 'bob', password: 'x' });
      await c.endAsync();
      assert.equal(other.requests.length, 1);
      assert.equal(other.requests[0]!.params.username, 'bob');
    } finally {
      await instance?.stop();
      instance = undefined;
      await other.close();
    }
  });
});

describe('auth-http over https', () => {
  let certs: TestCerts;
  let h: Harness;
  let server: Recorder;
  before(async () => {
    certs = makeTestCerts();
    h = await startHarness({ settings: { allow_anonymous: false } });
    server = await startRecorder(backend, certs);
  });
  after(async () => {
    await h.close();
    await server.close();
    certs.cleanup();
  });

  const attempt = async (ssl: AuthHttpConfig['ssl']): Promise<{ connected: boolean; state: string }> => {
    const inst = await authHttp.create(moduleContext(h.broker, 'https'), config(server.url, { ssl, on_backend_error: 'ignore' }));
    try {
      try {
        const c = await h.connect({ protocolVersion: 4, username: 'alice', password: 'secret' });
        await c.endAsync();
        return { connected: true, state: inst.status().state };
      } catch {
        return { connected: false, state: inst.status().state };
      }
    } finally {
      await inst.stop();
    }
  };

  test('verify with the CA file: allowed', async () => {
    assert.deepEqual(await attempt({ verify: true, cafile: certs.certfile }), { connected: true, state: 'running' });
  });

  test('verify without the CA: the TLS handshake fails -> backend error', async () => {
    assert.deepEqual(await attempt({ verify: true }), { connected: false, state: 'degraded' });
  });

  test('verify off (4.x default): a self-signed server is accepted', async () => {
    assert.deepEqual(await attempt({ verify: false }), { connected: true, state: 'running' });
  });

  test('verify with a wrong SNI name fails; disable skips the name check', async () => {
    assert.deepEqual(await attempt({ verify: true, cafile: certs.certfile, server_name_indication: 'other.example' }), { connected: false, state: 'degraded' });
    assert.deepEqual(await attempt({ verify: true, cafile: certs.certfile, server_name_indication: 'disable' }), { connected: true, state: 'running' });
  });
});
