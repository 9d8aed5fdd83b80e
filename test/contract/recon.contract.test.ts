import assert from 'node:assert/strict';
import { recon } from '../../src/modules/recon/index.js';
import { runModuleContract } from './module-contract.js';

runModuleContract({
  type: recon,
  validConfig: {},
  updatedConfig: { heap_snapshot: true, max_profile_duration: '5s', rate_limit: { requests: 2, interval: '10s' } },
  invalidConfig: { max_profile_duration: '0s' }, // check() refuses a zero bound
  probe: (h, id) => {
    assert.equal(h.statusOf(id)?.state, 'running');
  },
});
