import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { authHttp } from '../../src/modules/auth-http/index.js';
import { runModuleContract } from './module-contract.js';

// A backend that allows only the user named by the last path segment of the auth URL.
let base = '';
let server: http.Server | undefined;

const cfg = (user: string): Record<string, unknown> => ({ auth_req: { url: `${base}/auth/${user}` }, request_timeout: '2s' });

runModuleContract({
  type: authHttp,
  validConfig: () => cfg('alice'),
  updatedConfig: () => cfg('bob'),
  invalidConfig: () => ({ auth_req: { url: 'ftp://127.0.0.1/auth' } }), // check() refuses non-http URLs
  failingConfig: () => ({ ...cfg('bob'), ssl: { cafile: '/nonexistent/modmq-ca.pem' } }), // create cannot read it
  makeContext: async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const allowed = req.url?.split('/').pop();
        const username = new URLSearchParams(body).get('username');
        res.writeHead(username === allowed ? 200 : 401).end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return async () => {
      server!.closeAllConnections();
      await new Promise<void>((resolve) => server!.close(() => resolve()));
    };
  },
  probe: async (h, _id, config) => {
    const allowed = String((config.auth_req as { url: string }).url.split('/').pop());
    const other = allowed === 'alice' ? 'bob' : 'alice';
    const ask = (username: string) =>
      h.fake.authenticate({ client: h.fake.connect({ clientId: `c-${username}`, username }), password: Buffer.from('pw') });
    assert.equal((await ask(allowed)).result, 'allow');
    assert.equal((await ask(other)).result, 'deny');
  },
});
