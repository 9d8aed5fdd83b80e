import { defineSqlAuthModule } from '../auth-sql/sql-auth-module.js';
import { createPgClient } from './pg-client.js';

export type { SqlAuthConfig as AuthPostgresqlConfig } from '../auth-sql/sql-config.js';

/**
 * auth-postgresql: EMQX 4.x emqx_auth_pgsql — auth_query with 4.x password hashes, super_query,
 * acl_query with 4.x row semantics; bind parameters through pg.
 */
export const authPostgresql = defineSqlAuthModule({
  type: 'auth-postgresql',
  backend: 'pgsql',
  defaultPort: 5432,
  style: 'dollar',
  createClient: createPgClient,
});
