import assert from 'node:assert/strict';
import { authBuiltinDb } from '../../src/modules/auth-builtin-db/index.js';
import { runModuleContract, runModuleContractOnRedis, type ModuleContractSpec } from './module-contract.js';

const users = (password: string): Record<string, unknown> => ({ password_hash: 'sha256', users: [{ username: 'alice', password }] });

const spec: ModuleContractSpec = {
  type: authBuiltinDb,
  validConfig: users('first'),
  // Seeds never overwrite: alice keeps "first"; the new seed bob is inserted.
  updatedConfig: { password_hash: 'md5', users: [{ username: 'alice', password: 'second' }, { username: 'bob', password: 'b' }] },
  invalidConfig: { password_hash: 'rot13' },
  probe: async (h, _id, config) => {
    const alice = h.fake.connect({ clientId: 'probe', username: 'alice' });
    h.fake.disconnect('probe');
    const ok = await h.fake.authenticate({ client: alice, password: Buffer.from('first') });
    assert.deepEqual(ok, { result: 'allow', superuser: false });
    const seeded = (config['users'] as Array<{ username: string }>).map((u) => u.username);
    if (seeded.includes('bob')) {
      const bob = h.fake.connect({ clientId: 'probe', username: 'bob' });
      h.fake.disconnect('probe');
      assert.equal((await h.fake.authenticate({ client: bob, password: Buffer.from('b') })).result, 'allow');
    }
    assert.ok(h.reconciler.services.get('auth-builtin-db'), 'admin service exposed');
  },
};

runModuleContract(spec);

runModuleContractOnRedis(spec);
