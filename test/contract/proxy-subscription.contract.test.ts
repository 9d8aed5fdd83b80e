import assert from 'node:assert/strict';
import { proxySubscription } from '../../src/modules/proxy-subscription/index.js';
import { runModuleContract } from './module-contract.js';

runModuleContract({
  type: proxySubscription,
  validConfig: { topics: [{ topic: 'a/%c' }] },
  updatedConfig: { topics: [{ topic: 'b/%c', qos: 1 }] },
  invalidConfig: { topics: [{ topic: 'a/#/b' }] },
  probe: (h, _id, config) => {
    h.fake.connect({ clientId: 'probe' });
    h.fake.disconnect('probe');
    const last = h.fake.subscribed.at(-1);
    const expected = (config.topics as Array<{ topic: string }>).map((t) => t.topic.replace('%c', 'probe'));
    assert.deepEqual(last?.subscriptions.map((s) => s.topic), expected);
  },
});
