/**
 * Faults in a real 3-node cluster: Redis restarts empty (nodes keep serving local clients, the
 * config is re-seeded, membership comes back), and a node killed in the middle of an update (the
 * others apply it; the node converges when it comes back).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { nodeNames, rewriteRule, waitFor, whereDoesItGo, type NodesAnswer } from '../helpers/cluster-wait.js';
import type { NodeProcess } from '../helpers/node-process.js';

let cluster: TestCluster;
let a: NodeProcess;
let b: NodeProcess;
let c: NodeProcess;

before(async () => {
  cluster = await startCluster({ nodes: 3, extraConfig: 'cluster { heartbeat = 200ms }' });
  [a, b, c] = cluster.nodes as [NodeProcess, NodeProcess, NodeProcess];
});
after(async () => {
  await cluster?.stop();
});

const allThree = ['n1@127.0.0.1', 'n2@127.0.0.1', 'n3@127.0.0.1'];

describe('cluster faults', () => {
  test('Redis restarts empty: local clients keep working, nodes reconnect, config and membership come back', async () => {
    const added = await a.json<{ revision: number }>('POST', '/modules?wait=true', { type: 'topic-rewrite', config: rewriteRule('rf', 'before') });
    await b.waitApplied(added.revision);
    await c.waitApplied(added.revision);

    await cluster.redis.halt();
    // Without Redis each node still serves its own clients with the config it runs.
    assert.equal(await whereDoesItGo(b, 'rf', 'down-b'), 'before/x');
    const alone = await b.json<NodesAnswer>('GET', '/nodes');
    assert.deepEqual(nodeNames(alone), ['n2@127.0.0.1']);
    assert.match(alone.error ?? '', /cannot read the cluster from Redis/);

    await cluster.redis.restart();
    // The nodes write back what they ran (re-seed) and announce themselves again.
    const back = await waitFor('the document re-seeded', async () => {
      const m = await c.request('GET', '/modules/topic-rewrite');
      return m.status === 200 ? ((await m.json()) as { revision: number }) : undefined;
    });
    assert.equal(back.revision, added.revision);
    for (const node of [a, b, c]) {
      await waitFor('three nodes listed again', async () => {
        const r = await node.json<NodesAnswer>('GET', '/nodes');
        return r.error === undefined && nodeNames(r).join() === allThree.join() ? true : undefined;
      });
    }
    // And the cluster takes changes again, through any node.
    const changed = await c.json<{ revision: number }>('PUT', '/modules/topic-rewrite?wait=true', { config: rewriteRule('rf', 'after') });
    assert.equal(changed.revision, added.revision + 1);
    for (const [i, node] of [a, b, c].entries()) {
      await node.waitApplied(changed.revision);
      assert.equal(await whereDoesItGo(node, 'rf', `up-${i}`), 'after/x');
    }
  });

  test('a node killed in the middle of an update: the others apply it, the node catches up on restart', async () => {
    const base = await a.json<{ revision: number }>('GET', '/modules/topic-rewrite');
    // The change and the kill race on purpose: whatever C had done, it must converge.
    const put = a.json<{ revision: number }>('PUT', '/modules/topic-rewrite', { config: rewriteRule('rf', 'mid') });
    const killed = c.stop('SIGKILL');
    const [{ revision }] = await Promise.all([put, killed]);
    assert.equal(revision, base.revision + 1);
    for (const [i, node] of [a, b].entries()) {
      await node.waitApplied(revision);
      assert.equal(await whereDoesItGo(node, 'rf', `mid-${i}`), 'mid/x');
    }
    // Another change while C is down: C must end on the latest, not on the one it was killed in.
    const later = await b.json<{ revision: number }>('PUT', '/modules/topic-rewrite?wait=true', { config: rewriteRule('rf', 'last') });
    c = await cluster.startNode(3, c.dir);
    await c.waitApplied(later.revision);
    assert.equal(await whereDoesItGo(c, 'rf', 'c-back'), 'last/x');
    const view = await waitFor('C listed with the latest revision', async () => {
      const r = await a.json<NodesAnswer>('GET', '/nodes');
      const entry = r.nodes.find((n) => n.name === 'n3@127.0.0.1');
      return entry?.appliedRevision === later.revision ? r : undefined;
    });
    assert.deepEqual(nodeNames(view), allThree);
  });
});
