/**
 * The cluster-wide view of a module (per-node states, the worst one as the summary) and how the
 * CLI prints it; plus the modules API on a node without a cluster (itself as the only node).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { moduleAcrossNodes, summarize, type ModuleNodeStatus } from '../../src/cluster/node-status.js';
import { formatModuleNodes, formatStateCounts } from '../../src/cli/node-summary.js';
import type { ModuleState, ModuleStatus } from '../../src/modules/runtime/module-status.js';
import { createTestApi } from '../helpers/api-fixtures.js';

const status = (id: string, state: ModuleState, error?: string): ModuleStatus => ({
  id,
  type: 'presence',
  state,
  servingRevision: state === 'running' ? 3 : null,
  since: new Date(0).toISOString(),
  ...(error ? { error } : {}),
});

test('a module across nodes: each node its own state, a node that has not reported it yet is starting', () => {
  const view = moduleAcrossNodes({ id: 'presence', type: 'presence', enabled: true }, [
    { name: 'n1', modules: [status('presence', 'running')] },
    { name: 'n2', modules: [status('presence', 'failed', 'port 8080 in use')] },
    { name: 'n3', modules: null },
  ]);
  assert.deepEqual(view.nodes, [
    { node: 'n1', state: 'running', servingRevision: 3 },
    { node: 'n2', state: 'failed', servingRevision: null, error: 'port 8080 in use' },
    { node: 'n3', state: 'starting', servingRevision: null },
  ]);
  assert.deepEqual(view.cluster, { state: 'failed', nodes: 3, counts: { running: 1, failed: 1, starting: 1 } });
  const disabled = moduleAcrossNodes({ id: 'x', type: 'presence', enabled: false }, [{ name: 'n1', modules: [] }]);
  assert.equal(disabled.cluster.state, 'disabled');
});

const states: ModuleState[] = ['starting', 'running', 'degraded', 'failed', 'disabled', 'unavailable'];
const perNode = fc.array(
  fc.record({ node: fc.string({ minLength: 1, maxLength: 5 }), state: fc.constantFrom(...states), servingRevision: fc.constant(null) }),
  { minLength: 1, maxLength: 8 },
) as fc.Arbitrary<ModuleNodeStatus[]>;

test('property: the summary counts every node once, and is running only when every node runs it', () => {
  fc.assert(
    fc.property(perNode, (nodes) => {
      const s = summarize(nodes, true);
      assert.equal(Object.values(s.counts).reduce((a, b) => a + b, 0), nodes.length);
      assert.equal(s.nodes, nodes.length);
      assert.ok(nodes.some((n) => n.state === s.state));
      assert.equal(s.state === 'running', nodes.every((n) => n.state === 'running' || n.state === 'disabled') && nodes.some((n) => n.state === 'running'));
      if (nodes.some((n) => n.state === 'failed')) assert.equal(s.state, 'failed');
    }),
  );
});

test('the CLI says where a module runs: all alike, or running k/N and each other node with its reason', () => {
  assert.equal(formatModuleNodes([{ node: 'n1', state: 'running' }, { node: 'n2', state: 'running' }]), 'running 2/2');
  assert.equal(
    formatModuleNodes([
      { node: 'n1', state: 'running' },
      { node: 'n2', state: 'failed', error: 'ENOENT: jwt.pem' },
      { node: 'n3', state: 'starting' },
    ]),
    'running 1/3, failed on n2: ENOENT: jwt.pem, starting on n3',
  );
  assert.equal(formatModuleNodes([{ node: 'n1', state: 'failed', error: 'boom' }]), 'failed 1/1: boom');
  assert.equal(formatModuleNodes([]), '-');
  assert.equal(formatStateCounts([{ state: 'running' }, { state: 'failed' }, { state: 'running' }]), '2 running, 1 failed');
  assert.equal(formatStateCounts(null), '-');
});

test('without a cluster the API lists this node alone, in /nodes and in each module', async () => {
  const api = await createTestApi();
  try {
    await api.call({ method: 'POST', url: '/api/v1/modules', payload: { type: 'presence' } });
    api.nodeStatus.appliedRevision = 1;
    api.nodeStatus.modules = [status('presence', 'running')];
    const nodes = (await api.call({ method: 'GET', url: '/api/v1/nodes' })).json();
    assert.equal(nodes.cluster, null);
    assert.equal(nodes.revision, 1);
    assert.deepEqual(nodes.nodes.map((n: { name: string; self: boolean; appliedRevision: number }) => [n.name, n.self, n.appliedRevision]), [
      ['test@node', true, 1],
    ]);
    const one = (await api.call({ method: 'GET', url: '/api/v1/modules/presence' })).json();
    assert.deepEqual(one.nodes, [{ node: 'test@node', state: 'running', servingRevision: 3 }]);
    assert.deepEqual(one.clusterStatus, { state: 'running', nodes: 1, counts: { running: 1 } });
    const list = (await api.call({ method: 'GET', url: '/api/v1/modules' })).json();
    assert.equal(list.cluster, null);
    assert.equal(list.modules[0].clusterStatus.state, 'running');
  } finally {
    await api.close();
  }
});
