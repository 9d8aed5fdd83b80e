/**
 * A real 3-node cluster on one redis-server: a change through node A is applied on B and C, the
 * cluster view (GET /nodes, per-node module status, `modmq modules list`, `modmq cluster nodes`)
 * from any node, compare-and-set between two nodes, the auth chain order on every node across a
 * restart and a join, and membership (kill -9 and a clean stop).
 */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { nodeNames, rewriteRule, waitFor, whereDoesItGo, type NodesAnswer } from '../helpers/cluster-wait.js';
import type { NodeProcess } from '../helpers/node-process.js';

let cluster: TestCluster;
let a: NodeProcess;
let b: NodeProcess;
let c: NodeProcess;
const N1 = 'n1@127.0.0.1';
const N2 = 'n2@127.0.0.1';
const N3 = 'n3@127.0.0.1';

before(async () => {
  // A short heartbeat: a dead node is gone after 5 × 200 ms.
  cluster = await startCluster({ nodes: 3, extraConfig: 'cluster { heartbeat = 200ms }' });
  [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
});
after(async () => {
  await cluster?.stop();
});

interface ModuleAnswer {
  revision: number;
  nodes: Array<{ node: string; state: string; error?: string; servingRevision: number | null }>;
  clusterStatus: { state: string; nodes: number; counts: Record<string, number> };
}

describe('a 3-node cluster', () => {
  test('every node lists every node; a change through A is applied and behaves on B and C', async () => {
    for (const node of [a, b, c]) {
      const answer = await waitFor('three nodes listed', async () => {
        const r = await node.json<NodesAnswer>('GET', '/nodes');
        return r.nodes.length === 3 ? r : undefined;
      });
      assert.equal(answer.cluster, cluster.name);
      assert.deepEqual(nodeNames(answer), [N1, N2, N3]);
      assert.deepEqual(
        answer.nodes.filter((n) => n.self).map((n) => n.name),
        [[N1, N2, N3][[a, b, c].indexOf(node)]],
      );
      // What each node announces is where it really listens.
      for (const [i, peer] of [a, b, c].entries()) {
        const entry = answer.nodes[i]!;
        assert.equal(entry.api.port, new URL(peer.api).port === '' ? 80 : Number(new URL(peer.api).port));
        assert.ok(entry.listeners.some((l) => l.kind === 'tcp' && l.port === peer.mqtt.port), JSON.stringify(entry.listeners));
        assert.match(entry.version, /^\d+\.\d+\.\d+/);
      }
    }

    const added = await a.json<{ revision: number }>('POST', '/modules?wait=true', { type: 'topic-rewrite', config: rewriteRule('cv', 'out') });
    await b.waitApplied(added.revision);
    await c.waitApplied(added.revision);
    assert.equal(await whereDoesItGo(b, 'cv', 'b1'), 'out/x');
    assert.equal(await whereDoesItGo(c, 'cv', 'c1'), 'out/x');

    // B sees every node's status of the module, through Redis.
    const onB = await waitFor('topic-rewrite running on all nodes, seen from B', async () => {
      const m = await b.json<ModuleAnswer>('GET', '/modules/topic-rewrite');
      return m.clusterStatus.counts['running'] === 3 ? m : undefined;
    });
    assert.deepEqual(onB.nodes.map((n) => [n.node, n.state, n.servingRevision]), [
      [N1, 'running', added.revision],
      [N2, 'running', added.revision],
      [N3, 'running', added.revision],
    ]);
    assert.equal(onB.clusterStatus.state, 'running');
    const applied = await waitFor('every node reports the revision in /nodes', async () => {
      const r = await c.json<NodesAnswer>('GET', '/nodes');
      return r.nodes.every((n) => (n.appliedRevision ?? 0) >= added.revision) ? r : undefined;
    });
    assert.equal(applied.revision, added.revision);

    const cli = await a.cliOk(['cluster', 'nodes']);
    const lines = cli.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NODE\s+VERSION\s+API\s+MQTT\s+APPLIED\s+SEEN\s+MODULES$/);
    assert.match(lines[1]!, new RegExp(`^${N1} \\*\\s+\\S+\\s+127\\.0\\.0\\.1:\\d+\\s+tcp 127\\.0\\.0\\.1:${a.mqtt.port}, ws .*\\s+${added.revision}\\s+.*running`));
    assert.match(lines[2]!, new RegExp(`^${N2}\\s`));
    assert.match(lines[3]!, new RegExp(`^${N3}\\s`));
    assert.match(lines[4]!, new RegExp(`^cluster ${cluster.name}: 3 nodes, revision ${added.revision}`));
  });

  test('$SYS/brokers is the retained list of every node of the cluster, the same on each node', async () => {
    for (const [i, node] of [a, b, c].entries()) {
      const payload = await waitFor(`$SYS/brokers lists three nodes on node ${i + 1}`, async () => {
        const client = await node.connect({ clientId: `sys-brokers-${i}`, clean: true });
        try {
          const got = new Promise<{ payload: string; retain: boolean }>((resolve) =>
            client.on('message', (_t, p, packet) => resolve({ payload: p.toString(), retain: packet.retain })),
          );
          await client.subscribeAsync('$SYS/brokers', { qos: 0 });
          const first = await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 500))]);
          return first?.retain === true && first.payload === [N1, N2, N3].join(',') ? first.payload : undefined;
        } finally {
          await client.endAsync(true);
        }
      });
      assert.equal(payload, `${N1},${N2},${N3}`);
    }
  });

  test('a module that fails on one node only: the modules API and `modmq modules list` say where and why', async () => {
    // auth-jwt reads its public key relative to the node's data dir: n2 has none.
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    for (const node of [a, c]) {
      await mkdir(node.dataDir, { recursive: true });
      await writeFile(join(node.dataDir, 'jwt-key.pem'), pem);
    }
    const added = await a.json<{ revision: number }>('POST', '/modules?wait=true', { type: 'auth-jwt', config: { pubkey: 'jwt-key.pem' } });
    const seen = await waitFor('auth-jwt reported by all nodes', async () => {
      const m = await c.json<ModuleAnswer>('GET', '/modules/auth-jwt');
      return m.nodes.every((n) => n.state === 'running' || n.state === 'failed') ? m : undefined;
    });
    assert.deepEqual(seen.nodes.map((n) => [n.node, n.state]), [
      [N1, 'running'],
      [N2, 'failed'],
      [N3, 'running'],
    ]);
    assert.match(seen.nodes[1]!.error ?? '', /jwt-key\.pem/);
    assert.deepEqual(seen.clusterStatus, { state: 'failed', nodes: 3, counts: { running: 2, failed: 1 } });

    const list = await a.json<{ cluster: string; modules: Array<{ id: string; clusterStatus: { state: string } }> }>('GET', '/modules');
    assert.equal(list.cluster, cluster.name);
    assert.equal(list.modules.find((m) => m.id === 'auth-jwt')?.clusterStatus.state, 'failed');

    const cli = await a.cliOk(['modules', 'list']);
    const lines = cli.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ID\s+TYPE\s+ENABLED\s+STATE\s+NODES\s+ERROR$/);
    const row = lines.find((l) => l.startsWith('auth-jwt '));
    assert.match(row ?? '', new RegExp(`^auth-jwt\\s+auth-jwt\\s+yes\\s+running\\s+running 2/3, failed on ${N2}: .*jwt-key\\.pem`));
    assert.match(lines.find((l) => l.startsWith('topic-rewrite ')) ?? '', /\srunning 3\/3$/);
    assert.match(lines[lines.length - 1]!, new RegExp(`^revision ${added.revision}, applied ${added.revision} on ${N1} \\(cluster ${cluster.name}\\)$`));

    await a.json('DELETE', '/modules/auth-jwt?wait=true');
  });

  test('two nodes change the same module at once with the same If-Match: one wins, the other gets 409', async () => {
    const current = await a.json<{ revision: number }>('GET', '/modules/topic-rewrite');
    const put = (node: NodeProcess, dest: string): Promise<Response> =>
      node.request('PUT', '/modules/topic-rewrite', { config: rewriteRule('cv', dest) }, { 'if-match': String(current.revision) });
    const [fromA, fromB] = await Promise.all([put(a, 'by-a'), put(b, 'by-b')]);
    const statuses = [fromA.status, fromB.status].sort();
    assert.deepEqual(statuses, [200, 409]);
    const loser = fromA.status === 409 ? fromA : fromB;
    const error = (await loser.json()) as { code: string; revision: number };
    assert.equal(error.code, 'MODMQ_REVISION_CONFLICT');
    assert.equal(error.revision, current.revision + 1);
    const winner = fromA.status === 200 ? 'by-a' : 'by-b';
    await c.waitApplied(current.revision + 1);
    assert.equal(await whereDoesItGo(c, 'cv', 'c2'), `${winner}/x`);
    await a.json('DELETE', '/modules/topic-rewrite?wait=true');
  });

  test('the auth chain runs in document order on every node, after a restart and on a node that joins', async (t) => {
    // auth-http that denies everyone; auth-jwt that accepts our token. Who asks first decides.
    const denier: Server = createServer((_req, res) => {
      res.statusCode = 401;
      res.end();
    });
    await new Promise<void>((r) => denier.listen(0, '127.0.0.1', r));
    t.after(() => new Promise<void>((r) => denier.close(() => r())));
    const port = (denier.address() as AddressInfo).port;
    const token = hs256({ sub: 'device-1', exp: Math.floor(Date.now() / 1000) + 3600 }, 'chain-secret');

    await a.json('POST', '/modules', { type: 'auth-jwt', config: { secret: 'chain-secret' } });
    await a.json('POST', '/modules', {
      type: 'auth-http',
      config: { auth_req: { url: `http://127.0.0.1:${port}/auth` }, super_req: { enable: false }, acl_req: { enable: false } },
    });
    const order = async (ids: string[]): Promise<number> => {
      const doc = await a.json<{ revision: number; document: { modules: Array<{ id: string }> } }>('GET', '/cluster?reveal_secrets=true');
      const byId = new Map(doc.document.modules.map((m) => [m.id, m]));
      const rest = doc.document.modules.filter((m) => !ids.includes(m.id));
      const modules = [...rest, ...ids.map((id) => byId.get(id)!)];
      const put = await a.json<{ revision: number }>('PUT', '/cluster', { document: { ...doc.document, modules }, revision: doc.revision });
      return put.revision;
    };
    const accepted = async (node: NodeProcess, tag: string): Promise<boolean> => {
      try {
        const client = await node.connect({ clientId: `chain-${tag}`, username: 'device-1', password: token });
        await client.endAsync();
        return true;
      } catch {
        return false;
      }
    };

    let revision = await order(['auth-jwt', 'auth-http']);
    for (const [i, node] of [a, b, c].entries()) {
      await node.waitApplied(revision);
      assert.equal(await accepted(node, `jwt-first-${i}`), true, `node ${i + 1}: jwt first accepts`);
    }
    revision = await order(['auth-http', 'auth-jwt']);
    for (const [i, node] of [a, b, c].entries()) {
      await node.waitApplied(revision);
      assert.equal(await accepted(node, `http-first-${i}`), false, `node ${i + 1}: http first denies`);
    }

    // A restart in the same dir and a brand-new node apply the same order.
    await b.stop();
    b = await cluster.startNode(2, b.dir);
    const d = await cluster.startNode(4);
    for (const [name, node] of [['restarted n2', b], ['joined n4', d]] as const) {
      await node.waitApplied(revision);
      assert.equal(await accepted(node, `${name}-http-first`), false, `${name}: http first denies`);
    }
    revision = await order(['auth-jwt', 'auth-http']);
    for (const [i, node] of [a, b, c, d].entries()) {
      await node.waitApplied(revision);
      assert.equal(await accepted(node, `jwt-again-${i}`), true, `node ${i + 1}: jwt first accepts again`);
    }
    const statusOrder = (await d.json<{ modules: Array<{ id: string }> }>('GET', '/modules')).modules.map((m) => m.id);
    assert.deepEqual(statusOrder.slice(-2), ['auth-jwt', 'auth-http']);
    await a.json('DELETE', '/modules/auth-http');
    await a.json('DELETE', '/modules/auth-jwt?wait=true');
  });

  test('membership: a killed node disappears within the TTL, a stopped one at once', async () => {
    const d = cluster.nodes[3]!;
    await waitFor('four nodes listed', async () => ((await a.json<NodesAnswer>('GET', '/nodes')).nodes.length === 4 ? true : undefined));

    await c.stop('SIGKILL');
    // Its entry stays until the TTL (5 heartbeats of 200 ms) runs out, then it is gone everywhere.
    const withoutC = await waitFor('n3 gone after kill -9', async () => {
      const r = await a.json<NodesAnswer>('GET', '/nodes');
      return r.nodes.some((n) => n.name === N3) ? undefined : r;
    });
    assert.deepEqual(nodeNames(withoutC), [N1, N2, 'n4@127.0.0.1']);
    const fromB = await b.json<NodesAnswer>('GET', '/nodes');
    assert.deepEqual(nodeNames(fromB), [N1, N2, 'n4@127.0.0.1']);

    // A clean stop removes the entry before the process exits: no wait needed.
    const ended = await d.stop('SIGTERM');
    assert.equal(ended.code, 0);
    assert.deepEqual(nodeNames(await a.json<NodesAnswer>('GET', '/nodes')), [N1, N2]);
  });
});

/** A compact HS256 JWT. */
function hs256(payload: object, secret: string): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
