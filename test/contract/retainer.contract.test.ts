import assert from 'node:assert/strict';
import { retainer } from '../../src/modules/retainer/index.js';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { redisClusterContext } from '../../src/cluster/cluster-context.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';
import { runModuleContract, type ModuleContractSpec } from './module-contract.js';

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

// The same contract in cluster mode (shared state on a real redis-server).
let redis: RedisServer | undefined;
before(async () => {
  redis = await startRedis();
});
after(async () => redis?.stop());
runModuleContract({ ...spec, label: ' on redis', cluster: () => redisClusterContext(redis!.url, randomUUID().slice(0, 8)) });
