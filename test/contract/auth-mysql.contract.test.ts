import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { authMysql } from '../../src/modules/auth-mysql/index.js';
import { type MariaDbServer, startMariaDb } from '../helpers/servers/mariadb.js';
import { runModuleContract } from './module-contract.js';

let db: MariaDbServer;

before(async () => {
  db = await startMariaDb();
  await db.exec(`CREATE TABLE mqtt_user (username VARCHAR(100) PRIMARY KEY, password VARCHAR(200), salt VARCHAR(40), is_superuser TINYINT DEFAULT 0);
    INSERT INTO mqtt_user VALUES ('alice', 'pw-a', NULL, 0), ('bob', 'pw-b', NULL, 0);`);
});
after(async () => {
  await db?.stop();
});

const config = (user: string): Record<string, unknown> => ({
  server: `${db.host}:${db.port}`,
  database: db.database,
  username: db.user,
  password: db.password,
  pool_size: 2,
  password_hash: { name: 'plain' },
  // Each config admits only its own user: the probe tells which config is in force.
  auth_query: `select password from mqtt_user where username = '%u' and username = '${user}' limit 1`,
});

runModuleContract({
  type: authMysql,
  validConfig: () => config('alice'),
  updatedConfig: () => config('bob'),
  invalidConfig: () => ({ ...config('bob'), pool_size: 0 }),
  failingConfig: () => ({ ...config('bob'), ssl: { enable: true, cafile: '/nonexistent/ca.pem' } }),
  probe: async (h, _id, cfg) => {
    const admitted = String(cfg.auth_query).includes("'alice'") ? 'alice' : 'bob';
    for (const user of ['alice', 'bob']) {
      const decision = await h.fake.authenticate({ client: h.fake.connect({ clientId: `c-${user}`, username: user }), password: Buffer.from(`pw-${user[0]}`) });
      assert.equal(decision.result, user === admitted ? 'allow' : 'ignore', `${user} under ${admitted}'s config`);
    }
  },
});
