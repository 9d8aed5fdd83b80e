/**
 * The module contract for auth-mongodb over an in-test FAKE MongoDB collection (no MongoDB server
 * can run here): same type, schema and lifecycle as production, only the store is the fake.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe } from 'node:test';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { authMongodb, createAuthMongodbType } from '../../src/modules/auth-mongodb/index.js';
import { FakeMongoStore } from '../unit/module-auth-mongodb-fake.js';
import { runModuleContract } from './module-contract.js';
import { fakeClient } from '../helpers/api-fixtures.js';

const sha256 = (t: string): string => createHash('sha256').update(t).digest('hex');

const fakeType = createAuthMongodbType((config) => {
  if (config.servers[0] === 'fail.invalid:1') throw new Error('cannot open the store');
  const store = new FakeMongoStore();
  store.insert('mqtt_user', { username: 'alice', password: sha256('a1') });
  store.insert('other_user', { username: 'alice', password: sha256('b2') });
  return store;
});

const config = (collection: string): Record<string, unknown> => ({ auth_query: { collection } });

// Only the username matters to these probes.
const client = (username: string): ClientInfo => fakeClient('c', { username, protoVer: 4 });

describe('(fake MongoDB)', () => {
  runModuleContract({
    type: fakeType,
    validConfig: config('mqtt_user'),
    updatedConfig: config('other_user'),
    invalidConfig: { auth_query: { collection: 'mqtt_user', selector: '$where=1' } }, // check() refuses it
    failingConfig: { ...config('mqtt_user'), servers: ['fail.invalid:1'] },
    probe: async (h, _id, cfg) => {
      const collection = (cfg.auth_query as { collection: string }).collection;
      const decision = await h.fake.authenticate({ client: client('alice'), password: Buffer.from(collection === 'other_user' ? 'b2' : 'a1') });
      assert.equal(decision.result, 'allow');
    },
  });
});

// The production type with the official driver: lifecycle and cleanup only (the driver opens
// nothing until a query, and no query runs here: there is no server).
describe('official driver, no server (lifecycle only)', () => {
  runModuleContract({
    type: authMongodb,
    validConfig: { servers: ['127.0.0.1:9'] },
    updatedConfig: { servers: ['127.0.0.1:10'], query_timeout: '2s' },
    invalidConfig: { servers: ['127.0.0.1:9'], mongo_type: 'rs' }, // check(): rs needs rs_set_name
    failingConfig: { servers: ['127.0.0.1:9'], ssl: { enable: true, cafile: '/nonexistent/ca.pem' } },
    // The driver loads optional modules lazily on close; tsx's loader port is busy meanwhile.
    ignoreResources: ['MessagePort'],
  });
});
