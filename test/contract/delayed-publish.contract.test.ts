import assert from 'node:assert/strict';
import { delayedPublish } from '../../src/modules/delayed-publish/index.js';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { redisClusterContext } from '../../src/cluster/cluster-context.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';
import { runModuleContract, type ModuleContractSpec } from './module-contract.js';

const spec: ModuleContractSpec = {
  type: delayedPublish,
  validConfig: { max_delayed_messages: 0 },
  updatedConfig: { max_delayed_messages: 1 },
  invalidConfig: { max_delayed_messages: -1 },
  probe: (h, _id, config) => {
    // With a limit of 1, a second held message is dropped; unlimited holds both.
    const message = (topic: string) => ({ topic, payload: Buffer.from('x'), qos: 0 as const, retain: false });
    assert.equal(h.fake.messagePublish(null, message('plain/topic')), 'continue');
    assert.equal(h.fake.messagePublish(null, message('$delayed/3600/a')), 'stop');
    assert.equal(h.fake.messagePublish(null, message('$delayed/3600/b')), 'stop');
    assert.equal(h.fake.published.length, 0);
    assert.equal(h.statusOf(_id)?.state, 'running');
    void config;
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
