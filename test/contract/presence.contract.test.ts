import assert from 'node:assert/strict';
import { presence } from '../../src/modules/presence/index.js';
import { runModuleContract } from './module-contract.js';

runModuleContract({
  type: presence,
  validConfig: { qos: 0 },
  updatedConfig: { qos: 2 },
  invalidConfig: { qos: 3 },
  probe: (h, _id, config) => {
    h.fake.connect({ clientId: 'probe' });
    h.fake.disconnect('probe');
    const events = h.fake.published.slice(-2);
    assert.deepEqual(events.map((m) => m.topic.split('/').pop()), ['connected', 'disconnected']);
    assert.ok(events.every((m) => m.qos === config.qos));
  },
});
