import assert from 'node:assert/strict';
import { retainer } from '../../src/modules/retainer/index.js';
import { runModuleContract, runModuleContractOnRedis, type ModuleContractSpec } from './module-contract.js';

const base = { storage_type: 'ram', max_retained_messages: 0, max_payload_size: '1MB', expiry_interval: '0s', stop_publish_clear_msg: false };

const spec: ModuleContractSpec = {
  type: retainer,
  validConfig: base,
  updatedConfig: { ...base, storage_type: 'disc', max_payload_size: '4B' },
  invalidConfig: { ...base, storage_type: 'tape' },
  probe: (h, _id, config) => {
    const store = h.fake.retainedStore();
    assert.ok(store, 'the retained store is registered');
    store.store({ topic: 'probe/big', payload: Buffer.from('12345'), qos: 0, storedAt: Date.now() });
    const stored = store.match('probe/#').length === 1;
    // 4B limit in the updated config: the 5-byte payload is not kept.
    assert.equal(stored, config.max_payload_size === '1MB');
  },
};

runModuleContract(spec);

runModuleContractOnRedis(spec);
