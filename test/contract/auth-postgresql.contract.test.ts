import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { authPostgresql } from '../../src/modules/auth-postgresql/index.js';
import { type PostgresServer, startPostgres } from '../helpers/servers/postgres.js';
import { runModuleContract } from './module-contract.js';

let db: PostgresServer;

before(async () => {
  db = await startPostgres();
  await db.exec(`CREATE TABLE mqtt_user (username TEXT PRIMARY KEY, password TEXT, salt TEXT, is_superuser BOOLEAN DEFAULT false);
    INSERT INTO mqtt_user VALUES ('alice', 'pw-a', NULL, false), ('bob', 'pw-b', NULL, false);
    GRANT SELECT ON mqtt_user TO ${db.user};`);
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
  type: authPostgresql,
  validConfig: () => config('alice'),
  updatedConfig: () => config('bob'),
  invalidConfig: () => ({ ...config('bob'), ssl: { enable: true, versions: [] } }),
  failingConfig: () => ({ ...config('bob'), ssl: { enable: true, certfile: '/nonexistent/cert.pem', keyfile: '/nonexistent/key.pem' } }),
  probe: async (h, _id, cfg) => {
    const admitted = String(cfg.auth_query).includes("'alice'") ? 'alice' : 'bob';
    for (const user of ['alice', 'bob']) {
      const decision = await h.fake.authenticate({ client: h.fake.connect({ clientId: `c-${user}`, username: user }), password: Buffer.from(`pw-${user[0]}`) });
      assert.equal(decision.result, user === admitted ? 'allow' : 'ignore', `${user} under ${admitted}'s config`);
    }
  },
});
