/**
 * emqx_auth_redis (4.0–4.4) -> auth-redis. Version differences: 4.2.3 added `auth.redis.ssl` with
 * `auth.redis.cafile|certfile|keyfile`; 4.3 added `auth.redis.ssl.cacertfile|certfile|keyfile|verify|
 * server_name_indication` and still reads the 4.2 names (reverse writes the 4.3 ones).
 * `auth.redis.server` is one address for single and a comma list for sentinel / cluster.
 */
import { bool, duration, enumOf, flag, int, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import { hostPorts, passwordHash, tlsFields } from './auth-common.js';
import { AUTO_RECONNECT, asDuration, asHostPorts, asInt, asPasswordHash, eeTls, enterpriseMapper } from './auth-enterprise.js';

export const authRedis = defineMapping({
  source: 'emqx_auth_redis',
  moduleType: 'auth-redis',
  loadedAs: ['emqx_auth_redis'],
  fields: [
    { key: 'auth.redis.type', pointer: '/redis_type', codec: enumOf('single', 'sentinel', 'cluster'), legacyDefault: 'single' },
    { key: 'auth.redis.server', pointer: '/servers', codec: hostPorts(6379), legacyDefault: '127.0.0.1:6379' },
    { key: 'auth.redis.sentinel', pointer: '/sentinel', codec: str },
    { key: 'auth.redis.pool', pointer: '/pool_size', codec: int, legacyDefault: '8' },
    { key: 'auth.redis.database', pointer: '/database', codec: int, legacyDefault: '0' },
    { key: 'auth.redis.password', pointer: '/password', codec: str, secret: true },
    { key: 'auth.redis.query_timeout', pointer: '/query_timeout', codec: duration },
    ...tlsFields({
      enable: { key: 'auth.redis.ssl', codec: flag, legacyDefault: 'off' },
      cafile: ['auth.redis.ssl.cacertfile', 'auth.redis.cafile'],
      certfile: ['auth.redis.ssl.certfile', 'auth.redis.certfile'],
      keyfile: ['auth.redis.ssl.keyfile', 'auth.redis.keyfile'],
      verify: { keys: ['auth.redis.ssl.verify'], codec: bool },
      sni: ['auth.redis.ssl.server_name_indication'],
    }),
    { key: 'auth.redis.password_hash', pointer: '/password_hash', codec: passwordHash },
    { key: 'auth.redis.auth_cmd', pointer: '/auth_cmd', codec: str },
    { key: 'auth.redis.super_cmd', pointer: '/super_cmd', codec: str },
    { key: 'auth.redis.acl_cmd', pointer: '/acl_cmd', codec: str },
  ],
  afterForward(_config, _ctx, result) {
    if (!result.keys.some((k) => k.key === 'auth.redis.query_timeout')) {
      result.warnings.push({
        code: 'timeout-added',
        message: 'emqx_auth_redis had no query_timeout (4.x waited forever); auth-redis uses its default 5s',
      });
    }
  },
  enterpriseTypes: ['redis_authentication'],
  fromEnterprise: enterpriseMapper('auth-redis', {
    type: { pointer: '/redis_type' },
    server: { pointer: '/servers', convert: asHostPorts(6379) },
    sentinel: { pointer: '/sentinel' },
    database: { pointer: '/database', convert: asInt },
    password: { pointer: '/password', secret: true },
    pool_size: { pointer: '/pool_size', convert: asInt },
    auto_reconnect: { drop: AUTO_RECONNECT },
    password_hash: { pointer: '/password_hash', convert: asPasswordHash },
    auth_cmd: { pointer: '/auth_cmd' },
    super_cmd: { pointer: '/super_cmd' },
    acl_cmd: { pointer: '/acl_cmd' },
    query_timeout: { pointer: '/query_timeout', convert: asDuration },
    ...eeTls,
  }),
});
