/** auth-http grants a mountpoint from its 200 body (4.x emqx_auth_http), end to end over MQTT. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { authHttp, type AuthHttpConfig } from '../../src/modules/auth-http/index.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { moduleContext } from '../helpers/module-context.js';
import { type Harness, nextMessages, startHarness, waitFor } from '../helpers/mqtt-harness.js';

function config(base: string): AuthHttpConfig {
  return {
    auth_req: { enable: true, url: `${base}/auth`, method: 'post', headers: {}, params: { username: '%u' } },
    super_req: { enable: true, url: `${base}/super`, method: 'post', headers: {}, params: { username: '%u' } },
    acl_req: { enable: true, url: `${base}/acl`, method: 'post', headers: {}, params: { topic: '%t', mountpoint: '%m' } },
    request_timeout: '5s',
    connect_timeout: '5s',
    pool_size: 2,
    pipelining: 100,
    ssl: { verify: false },
    on_backend_error: 'ignore',
  };
}

describe('auth-http mountpoint', () => {
  let h: Harness;
  let server: http.Server;
  let instance: ModuleInstance<AuthHttpConfig>;
  const aclParams: Array<Record<string, string>> = [];

  before(async () => {
    h = await startHarness({ settings: { allow_anonymous: false, acl_nomatch: 'deny' } });
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        let status = 200;
        let body = 'ok';
        if (req.url === '/auth') body = params.username === 'plain' ? 'ok' : JSON.stringify({ mountpoint: 'http/%u/' });
        if (req.url === '/super') status = params.username === 'root' ? 200 : 404;
        if (req.url === '/acl') aclParams.push(params);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    instance = await authHttp.create(moduleContext(h.broker, 'auth-http'), config(base));
  });
  after(async () => {
    await instance.stop();
    await h.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('{"mountpoint": "http/%u/"} mounts the client; %m in the ACL request is the expanded mountpoint', async () => {
    const plain = await h.connect({ protocolVersion: 4, clientId: 'plain-1', username: 'plain' });
    await plain.subscribeAsync('http/carol/#', { qos: 1 });
    const carol = await h.connect({ protocolVersion: 5, clientId: 'carol-1', username: 'carol' });
    await waitFor(() => h.broker.api.client('carol-1') !== undefined, 'carol registered');
    assert.equal(h.broker.api.client('carol-1')!.mountpoint, 'http/carol/');
    assert.equal(h.broker.api.client('plain-1')!.mountpoint, undefined);

    aclParams.length = 0;
    const got = nextMessages(plain);
    await carol.publishAsync('up', 'x', { qos: 1 });
    const [m] = await got;
    assert.equal(m!.topic, 'http/carol/up');
    assert.deepEqual(aclParams, [{ topic: 'up', mountpoint: 'http/carol/' }]);
    await carol.endAsync();
    await plain.endAsync();
  });

  test('a superuser answer keeps the mountpoint of the auth answer', async () => {
    const root = await h.connect({ protocolVersion: 4, clientId: 'root-1', username: 'root' });
    await waitFor(() => h.broker.api.client('root-1') !== undefined, 'root registered');
    const info = h.broker.api.client('root-1')!;
    assert.equal(info.superuser, true);
    assert.equal(info.mountpoint, 'http/root/');
    await root.subscribeAsync('down', { qos: 1 });
    const got = nextMessages(root);
    await h.broker.api.publish({ topic: 'http/root/down', payload: 'hi', qos: 1 });
    const [m] = await got;
    assert.deepEqual([m!.topic, m!.payload], ['down', 'hi']);
    await root.endAsync();
  });
});
