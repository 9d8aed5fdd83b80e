import assert from 'node:assert/strict';
import { prometheus } from '../../src/modules/prometheus/index.js';
import { runModuleContract } from './module-contract.js';

// Long intervals: the contract checks lifecycle and cleanup; pushing is covered by the unit tests.
const push = (interval: string): Record<string, unknown> => ({ push_gateway: { enable: true, url: 'http://127.0.0.1:9', interval } });

runModuleContract({
  type: prometheus,
  validConfig: push('1h'),
  updatedConfig: push('2h'),
  invalidConfig: push('0s'), // check() refuses a zero interval
  probe: (h, id) => {
    assert.equal(h.statusOf(id)?.state, 'running');
  },
});
