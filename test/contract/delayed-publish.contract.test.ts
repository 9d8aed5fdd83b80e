import assert from 'node:assert/strict';
import { delayedPublish } from '../../src/modules/delayed-publish/index.js';
import { runModuleContract, runModuleContractOnRedis, type ModuleContractSpec } from './module-contract.js';

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

runModuleContractOnRedis(spec);
