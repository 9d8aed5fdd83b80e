import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { authLdap } from '../../src/modules/auth-ldap/index.js';
import { startSlapd, type SlapdServer } from '../helpers/servers/slapd.js';
import { runModuleContract } from './module-contract.js';
import { fakeClient } from '../helpers/api-fixtures.js';

let server: SlapdServer;

before(async () => {
  server = await startSlapd();
  await server.add([
    {
      dn: `uid=alice,${server.deviceDn}`,
      attributes: { objectClass: ['account', 'simpleSecurityObject', 'mqttUser'], uid: 'alice', userPassword: 'a1', description: 'b2' },
    },
  ]);
});
after(async () => {
  await server?.stop();
});

const config = (passwordAttribute: string): Record<string, unknown> => ({
  servers: ['127.0.0.1'],
  port: server.port,
  bind_dn: server.rootDn,
  bind_password: server.rootPassword,
  device_dn: server.deviceDn,
  timeout: '5s',
  password_attribute: passwordAttribute,
});

// Only the username matters to these probes.
const client = (username: string): ClientInfo => fakeClient('c', { username, protoVer: 4 });

runModuleContract({
  type: authLdap,
  validConfig: () => config('userPassword'),
  updatedConfig: () => config('description'),
  invalidConfig: () => ({ ...config('userPassword'), username_attribute: 'uid)(x' }), // check() refuses it
  failingConfig: () => ({ ...config('userPassword'), ssl: { enable: true, cafile: '/nonexistent/ca.pem' } }),
  // The password that works tells which attribute is compared.
  probe: async (h, _id, cfg) => {
    const password = cfg.password_attribute === 'description' ? 'b2' : 'a1';
    const decision = await h.fake.authenticate({ client: client('alice'), password: Buffer.from(password) });
    assert.equal(decision.result, 'allow');
  },
});
