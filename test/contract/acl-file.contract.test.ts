import assert from 'node:assert/strict';
import { aclFile } from '../../src/modules/acl-file/index.js';
import { runModuleContract } from './module-contract.js';

const rules = (permission: 'allow' | 'deny', cidr = '127.0.0.1'): Record<string, unknown> => ({
  rules: [
    { permission, who: { kind: 'all' }, access: 'publish', topics: [{ filter: 'probe/#' }] },
    { permission: 'allow', who: { kind: 'ipaddr', cidr }, access: 'subscribe', topics: [{ eq: '#' }] },
  ],
});

runModuleContract({
  type: aclFile,
  validConfig: rules('deny'),
  updatedConfig: rules('allow'),
  invalidConfig: rules('allow', '999.1.1.1'), // check() refuses the CIDR
  probe: async (h, _id, config) => {
    const expected = (config.rules as Array<{ permission: string }>)[0]!.permission;
    const client = h.fake.connect({ clientId: `probe-${Math.random()}`, username: 'u' });
    assert.equal((await h.fake.authorize(client, 'publish', 'probe/1')).result, expected);
    h.fake.disconnect(client.clientId);
  },
});
