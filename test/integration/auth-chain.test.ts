/**
 * The authorization chain order is the cluster document's module order, on a real node process:
 * after a hot reorder (PUT /cluster) and after a node restart. Two real auth module types: acl-file
 * (denies subscribing to `order/t`) and auth-http (its ACL request allows `order/t`, answers
 * `ignore` for anything else) against an HTTP server of this test. Whichever module comes first
 * decides `order/t`; `order/free` is decided by neither (ignore -> acl_nomatch).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, removeTempDir, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';
import { subscribeGranted } from '../helpers/mqtt-harness.js';

interface ModuleRecord { id: string; type: string; [k: string]: unknown }
interface ClusterDoc { settings: Record<string, unknown>; modules: ModuleRecord[]; [k: string]: unknown }

let http: Server;
let httpUrl: string;
let dir: string;
let node: NodeProcess | undefined;
const password = 'chain-secret';

before(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const topic = new URLSearchParams(body).get('topic');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(topic === 'order/t' ? 'allow' : 'ignore');
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mqtt/acl`;
  dir = await makeTempDir('modmq-auth-chain-');
});

after(async () => {
  await node?.close();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await removeTempDir(dir);
});

async function cluster(n: NodeProcess): Promise<{ revision: number; document: ClusterDoc }> {
  return n.json('GET', '/cluster?reveal=true');
}

async function putCluster(n: NodeProcess, document: ClusterDoc, revision: number): Promise<void> {
  const r = await n.json<{ revision: number }>('PUT', '/cluster', { document, revision });
  await n.waitApplied(r.revision);
}

let seq = 0;
async function granted(n: NodeProcess): Promise<Record<string, number>> {
  const client = await n.connect({ protocolVersion: 5, clientId: `chain-${seq++}`, username: 'u' });
  const result = await subscribeGranted(client, { 'order/t': { qos: 1 }, 'order/free': { qos: 1 } });
  await client.endAsync();
  return result;
}

const aclFileModule = {
  id: 'acl-file',
  type: 'acl-file',
  schemaVersion: 1,
  enabled: true,
  config: { rules: [{ permission: 'deny', who: { kind: 'all' }, access: 'subscribe', topics: [{ filter: 'order/t' }] }] },
};
const httpModule = (url: string): ModuleRecord => ({
  id: 'auth-http',
  type: 'auth-http',
  schemaVersion: 1,
  enabled: true,
  config: { auth_req: { enable: false }, acl_req: { enable: true, url, method: 'post', params: { topic: '%t' } } },
});

describe('auth chain order = document order', () => {
  test('acl-file first: it decides; acl_nomatch decides what nobody matched', async () => {
    node = await startNodeProcess({ dir, password });
    const { revision, document } = await cluster(node);
    document.settings = { ...document.settings, acl_nomatch: 'allow' };
    document.modules = [...document.modules.filter((m) => m.type !== 'acl-file' && m.type !== 'auth-http'), aclFileModule, httpModule(httpUrl)];
    await putCluster(node, document, revision);
    assert.deepEqual(await granted(node), { 'order/t': 0x87, 'order/free': 1 });
  });

  test('a hot reorder puts auth-http first: the next subscribe follows the new order', async () => {
    const { revision, document } = await cluster(node!);
    const others = document.modules.filter((m) => m.type !== 'acl-file' && m.type !== 'auth-http');
    const byType = (t: string): ModuleRecord => document.modules.find((m) => m.type === t)!;
    document.modules = [...others, byType('auth-http'), byType('acl-file')];
    await putCluster(node!, document, revision);
    assert.deepEqual(await granted(node!), { 'order/t': 1, 'order/free': 1 });
  });

  test('the order survives a restart, and acl_nomatch deny applies to what nobody matched', async () => {
    await node!.stop();
    node = await startNodeProcess({ dir, password });
    const { revision, document } = await cluster(node);
    assert.deepEqual(
      document.modules.filter((m) => m.type === 'acl-file' || m.type === 'auth-http').map((m) => m.id),
      ['auth-http', 'acl-file'],
    );
    assert.deepEqual(await granted(node), { 'order/t': 1, 'order/free': 1 });
    document.settings = { ...document.settings, acl_nomatch: 'deny' };
    await putCluster(node, document, revision);
    assert.deepEqual(await granted(node), { 'order/t': 1, 'order/free': 0x87 });
  });
});
