import assert from 'node:assert/strict';
import { authScram } from '../../src/modules/auth-scram/index.js';
import type { FakeHookRegistry } from '../helpers/fake-broker.js';
import { runModuleContract } from './module-contract.js';
import type { ClientInfo } from '../../src/broker/hooks.js';

const client = { clientId: 'c', username: undefined } as unknown as ClientInfo;

runModuleContract({
  type: authScram,
  validConfig: { mechanisms: ['SCRAM-SHA-256'], iteration_count: 16, users: [{ username: 'a', password: 'p' }] },
  updatedConfig: { mechanisms: ['SCRAM-SHA-1'], iteration_count: 16, users: [{ username: 'a', password: 'p' }] },
  // check(): a user with neither a password nor imported keys.
  invalidConfig: { mechanisms: ['SCRAM-SHA-1'], users: [{ username: 'a' }] },
  probe: (h, _id, cfg) => {
    const hooks = (h.fake.hooks as FakeHookRegistry).chain('enhancedAuth');
    assert.equal(hooks.length, 1);
    const enabled = cfg.mechanisms as string[];
    for (const method of ['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      const session = hooks[0]!({ method, client, reauth: false });
      assert.equal(session !== undefined, enabled.includes(method), method);
    }
  },
});
