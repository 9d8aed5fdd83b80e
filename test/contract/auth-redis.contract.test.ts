import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { authRedis } from '../../src/modules/auth-redis/index.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';
import { runModuleContract } from './module-contract.js';
import { fakeClient } from '../helpers/api-fixtures.js';

let server: RedisServer;

before(async () => {
  server = await startRedis();
  const seed = new Redis(server.url);
  await seed.hset('mqtt_user:alice', { password: 'a1', is_superuser: '0' });
  await seed.hset('other_user:alice', { password: 'b2' });
  await seed.quit();
});
after(async () => {
  await server?.stop();
});

const config = (key: string): Record<string, unknown> => ({
  servers: [`127.0.0.1:${server.port}`],
  query_timeout: '2s',
  auth_cmd: `HMGET ${key}:%u password`,
});

// Only the username matters to these probes.
const client = (username: string): ClientInfo => fakeClient('c', { username, protoVer: 4 });

runModuleContract({
  type: authRedis,
  validConfig: () => config('mqtt_user'),
  updatedConfig: () => config('other_user'),
  invalidConfig: () => ({ ...config('mqtt_user'), auth_cmd: 'FLUSHALL' }), // check() refuses it
  failingConfig: () => ({ ...config('mqtt_user'), ssl: { enable: true, cafile: '/nonexistent/ca.pem' } }),
  // The password in force tells which command runs.
  probe: async (h, _id, cfg) => {
    const password = String(cfg.auth_cmd).includes('other_user') ? 'b2' : 'a1';
    const decision = await h.fake.authenticate({ client: client('alice'), password: Buffer.from(password) });
    assert.equal(decision.result, 'allow');
  },
});
