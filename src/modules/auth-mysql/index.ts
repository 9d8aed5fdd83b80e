import { defineSqlAuthModule } from '../auth-sql/sql-auth-module.js';
import { createMysqlClient } from './mysql-client.js';

export type { SqlAuthConfig as AuthMysqlConfig } from '../auth-sql/sql-config.js';

/**
 * auth-mysql: EMQX 4.x emqx_auth_mysql (MariaDB/MySQL) — auth_query with 4.x password hashes,
 * super_query, acl_query with 4.x row semantics; parameterised statements through mysql2.
 */
export const authMysql = defineSqlAuthModule({
  type: 'auth-mysql',
  backend: 'mysql',
  defaultPort: 3306,
  style: 'question',
  createClient: createMysqlClient,
});
