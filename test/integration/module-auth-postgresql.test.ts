import { authPostgresql } from '../../src/modules/auth-postgresql/index.js';
import { startPostgres } from '../helpers/servers/postgres.js';
import { runSqlAuthScenarios } from './module-auth-sql-scenarios.js';

runSqlAuthScenarios({
  name: 'auth-postgresql',
  type: authPostgresql,
  start: () => startPostgres(),
  async setup(db, data) {
    const users = `(username TEXT PRIMARY KEY, password TEXT, salt TEXT, is_superuser BOOLEAN DEFAULT false)`;
    await db.exec(`CREATE TABLE mqtt_user ${users}; CREATE TABLE mqtt_user2 ${users};
      CREATE TABLE mqtt_acl (id SERIAL PRIMARY KEY, allow INT, ipaddr TEXT, username TEXT, clientid TEXT, access INT, topic TEXT);
      GRANT SELECT ON mqtt_user, mqtt_user2, mqtt_acl TO "${db.user}"`);
    for (const [table, rows] of [['mqtt_user', data.users], ['mqtt_user2', data.users2]] as const) {
      for (const u of rows) await db.exec(`INSERT INTO ${table} VALUES ($1, $2, $3, $4)`, [u.username, u.password, u.salt, u.is_superuser]);
    }
    for (const row of data.acl) await db.exec('INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES ($1, $2, $3, $4, $5, $6)', row);
  },
});
