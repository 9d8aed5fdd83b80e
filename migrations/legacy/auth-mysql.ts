/**
 * emqx_auth_mysql (4.0–4.4) -> auth-mysql. Version differences: 4.2 added `auth.mysql.ssl` with
 * `ssl.cafile|certfile|keyfile`; 4.3 renamed `ssl.cafile` -> `ssl.cacertfile` (the old name is still
 * read, reverse writes the new one) and added `ssl.verify`, `ssl.server_name_indication`.
 * An absent `query_timeout` meant 5m in 4.x: that is what a migrated config gets.
 * A failing query: 4.0/4.1 ignored the client, later versions denied it (`{error, Reason}` became
 * the auth result; boundary read from the plugin sources, 4.2 unverified) -> on_backend_error.
 */
import { duration, flag, bool, int, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import { hostPort, passwordHash, tlsFields, versionNumber } from './auth-common.js';
import { AUTO_RECONNECT, asDuration, asHostPort, asInt, asPasswordHash, eeTls, enterpriseMapper } from './auth-enterprise.js';

/** The keys every SQL plugin shares, under `auth.<db>.`. */
export function sqlFields(db: string, port: number) {
  const k = (s: string) => `auth.${db}.${s}`;
  return [
    { key: k('server'), pointer: '/server', codec: hostPort(port) },
    { key: k('pool'), pointer: '/pool_size', codec: int, legacyDefault: '8' },
    { key: k('username'), pointer: '/username', codec: str },
    { key: k('password'), pointer: '/password', codec: str, secret: true },
    { key: k('database'), pointer: '/database', codec: str },
    { key: k('password_hash'), pointer: '/password_hash', codec: passwordHash },
    { key: k('auth_query'), pointer: '/auth_query', codec: str },
    { key: k('super_query'), pointer: '/super_query', codec: str },
    { key: k('acl_query'), pointer: '/acl_query', codec: str },
  ];
}

/** EE mysql_authentication / pgsql_authentication keys (same set). */
export function sqlEnterpriseTable(port: number) {
  return {
    server: { pointer: '/server', convert: asHostPort(port) },
    database: { pointer: '/database' },
    user: { pointer: '/username' },
    password: { pointer: '/password', secret: true },
    pool_size: { pointer: '/pool_size', convert: asInt },
    auto_reconnect: { drop: AUTO_RECONNECT },
    password_hash: { pointer: '/password_hash', convert: asPasswordHash },
    auth_query: { pointer: '/auth_query' },
    super_query: { pointer: '/super_query' },
    acl_query: { pointer: '/acl_query' },
    query_timeout: { pointer: '/query_timeout', convert: asDuration },
    ...eeTls,
  };
}

export const authMysql = defineMapping({
  source: 'emqx_auth_mysql',
  moduleType: 'auth-mysql',
  loadedAs: ['emqx_auth_mysql'],
  fields: [
    ...sqlFields('mysql', 3306),
    { key: 'auth.mysql.query_timeout', pointer: '/query_timeout', codec: duration, legacyDefault: '5m' },
    ...tlsFields({
      enable: { key: 'auth.mysql.ssl', codec: flag, legacyDefault: 'off' },
      cafile: ['auth.mysql.ssl.cacertfile', 'auth.mysql.ssl.cafile'],
      certfile: ['auth.mysql.ssl.certfile'],
      keyfile: ['auth.mysql.ssl.keyfile'],
      verify: { keys: ['auth.mysql.ssl.verify'], codec: bool },
      sni: ['auth.mysql.ssl.server_name_indication'],
    }),
  ],
  afterForward(config, ctx) {
    const v = versionNumber(ctx.version);
    config.on_backend_error = v !== undefined && v <= 41 ? 'ignore' : 'deny';
  },
  enterpriseTypes: ['mysql_authentication'],
  fromEnterprise: enterpriseMapper('auth-mysql', sqlEnterpriseTable(3306), (config) => {
    config.on_backend_error = 'deny';
  }),
});
