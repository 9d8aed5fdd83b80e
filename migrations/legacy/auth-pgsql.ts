/**
 * emqx_auth_pgsql (4.0–4.4) -> auth-postgresql. Version differences: 4.0–4.2 `auth.pgsql.ssl =
 * true|false` with `ssl_opts.keyfile|certfile|cacertfile`; 4.2.6 added `ssl.tls_versions`; 4.3 made
 * `ssl = on|off` with `ssl.keyfile|certfile|cacertfile|verify|server_name_indication` and still reads
 * the old spelling (reverse writes the new one). `pbkdf2_macfun|iterations|dklen` exist in every
 * schema but no code reads them: PBKDF2 parameters come from `password_hash = pbkdf2,<mac>,<i>,<len>`.
 */
import { bool, flag, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import { tlsFields } from './auth-common.js';
import { enterpriseMapper } from './auth-enterprise.js';
import { sqlEnterpriseTable, sqlFields } from './auth-mysql.js';

const PBKDF2_UNUSED = 'not read by emqx_auth_pgsql: PBKDF2 parameters are given in password_hash (pbkdf2,<macfun>,<iterations>,<dklen>)';

export const authPgsql = defineMapping({
  source: 'emqx_auth_pgsql',
  moduleType: 'auth-postgresql',
  loadedAs: ['emqx_auth_pgsql'],
  fields: [
    ...sqlFields('pgsql', 5432),
    { key: 'auth.pgsql.encoding', pointer: '/encoding', codec: str },
    ...tlsFields({
      // on|off in 4.3+, true|false before (true selected the ssl_opts.* spelling)
      enable: { key: 'auth.pgsql.ssl', codec: flag },
      cafile: ['auth.pgsql.ssl.cacertfile', 'auth.pgsql.ssl_opts.cacertfile'],
      certfile: ['auth.pgsql.ssl.certfile', 'auth.pgsql.ssl_opts.certfile'],
      keyfile: ['auth.pgsql.ssl.keyfile', 'auth.pgsql.ssl_opts.keyfile'],
      verify: { keys: ['auth.pgsql.ssl.verify'], codec: bool },
      sni: ['auth.pgsql.ssl.server_name_indication'],
      versions: ['auth.pgsql.ssl.tls_versions', 'auth.pgsql.ssl_opts.tls_versions'],
    }),
  ],
  notMapped: [
    { key: 'auth.pgsql.pbkdf2_macfun', reason: PBKDF2_UNUSED },
    { key: 'auth.pgsql.pbkdf2_iterations', reason: PBKDF2_UNUSED },
    { key: 'auth.pgsql.pbkdf2_dklen', reason: PBKDF2_UNUSED },
  ],
  enterpriseTypes: ['pgsql_authentication'],
  fromEnterprise: enterpriseMapper('auth-postgresql', sqlEnterpriseTable(5432)),
});
