import { authMysql } from '../../src/modules/auth-mysql/index.js';
import { startMariaDb } from '../helpers/servers/mariadb.js';
import { runSqlAuthScenarios } from './module-auth-sql-scenarios.js';

runSqlAuthScenarios({
  name: 'auth-mysql',
  type: authMysql,
  start: () => startMariaDb(),
  async setup(db, data) {
    const users = `(username VARCHAR(100) PRIMARY KEY, password VARCHAR(200), salt VARCHAR(40), is_superuser TINYINT(1) DEFAULT 0)`;
    await db.exec(`CREATE TABLE mqtt_user ${users}; CREATE TABLE mqtt_user2 ${users};
      CREATE TABLE mqtt_acl (id INT AUTO_INCREMENT PRIMARY KEY, allow INT, ipaddr VARCHAR(60), username VARCHAR(100), clientid VARCHAR(100), access INT, topic VARCHAR(100))`);
    for (const [table, rows] of [['mqtt_user', data.users], ['mqtt_user2', data.users2]] as const) {
      for (const u of rows) await db.exec(`INSERT INTO ${table} VALUES (?, ?, ?, ?)`, [u.username, u.password, u.salt, u.is_superuser ? 1 : 0]);
    }
    for (const row of data.acl) await db.exec('INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES (?, ?, ?, ?, ?, ?)', row);
  },
});
