import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergePlans } from '../../src/migrator/merge.js';
import type { NodePlan, PlannedModule } from '../../src/migrator/plan-types.js';

const module = (config: Record<string, unknown>, enabled = true, loadOrder = 0): PlannedModule => ({
  id: 'auth-mysql', type: 'auth-mysql', source: 'emqx_auth_mysql', enabled, config, loadOrder,
  locations: new Map([['/pool_size', { file: 'etc/plugins/emqx_auth_mysql.conf', line: 2 }]]),
});
const plan = (node: string, modules: PlannedModule[]): NodePlan => ({
  node, modules, settings: new Map([['/allow_anonymous', { value: false, location: { file: 'etc/emqx.conf', line: 4 } }]]),
  nodeConfig: new Map([['/node/name', { value: `emqx@${node}` }]]), keys: [], warnings: [], errors: [],
});

describe('merge', () => {
  const plans = [plan('n1', [module({ pool_size: 8, server: 'db' })]), plan('n2', [module({ pool_size: 8, server: 'db' })]), plan('n3', [module({ pool_size: 16, server: 'db' })])];

  it('reports a differing value as a conflict with every node and file:line', () => {
    const r = mergePlans(plans);
    assert.deepEqual(r.conflicts, [{
      module: 'auth-mysql', pointer: '/pool_size',
      values: ['n1', 'n2', 'n3'].map((node, i) => ({ node, value: i === 2 ? 16 : 8, file: 'etc/plugins/emqx_auth_mysql.conf', line: 2 })),
    }]);
    assert.deepEqual(r.nodeConfigs.get('n3'), { node: { name: 'emqx@n3' } }, 'node-local values never conflict');
  });

  it('resolves by --prefer or by majority with --strict=false', () => {
    assert.equal(mergePlans(plans, { prefer: 'n3' }).document.modules[0]?.config['pool_size'], 16);
    const lax = mergePlans(plans, { strict: false });
    assert.equal(lax.conflicts.length, 0);
    assert.equal(lax.document.modules[0]?.config['pool_size'], 8);
    assert.ok(lax.warnings.some((w) => w.code === 'conflict-resolved'));
  });

  it('makes a module loaded on some nodes cluster-wide with a warning; non-loading nodes do not vote', () => {
    const r = mergePlans([plan('n1', [module({ pool_size: 8 })]), plan('n2', [module({ pool_size: 99 }, false)])]);
    assert.equal(r.conflicts.length, 0);
    assert.equal(r.document.modules[0]?.enabled, true);
    assert.deepEqual(r.warnings.map((w) => [w.code, w.nodes]), [['partially-loaded', ['n1']]]);
    assert.deepEqual(r.document.settings, { allow_anonymous: false });
  });
});
