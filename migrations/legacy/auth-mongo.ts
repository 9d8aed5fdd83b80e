/**
 * emqx_auth_mongo (4.0–4.4) -> auth-mongodb. Version differences: 4.3 renamed `auth.mongo.login` ->
 * `auth.mongo.username` and `ssl = true|false` + `ssl_opts.*` -> `ssl = on|off` + `ssl.*` (both old
 * spellings still read by 4.3/4.4; reverse writes the new ones), added `ssl.verify` and
 * `ssl.server_name_indication`; 4.4 added `srv_record` and dropped the `mqtt` default of
 * `rs_set_name` / `auth_source` (an absent auth_source is "the database" here, which is what the
 * driver did with `mqtt` as the database). Absent `auth_query.selector`, `super_query.selector` and
 * `acl_query.selector` were "" in 4.x; absent `acl_query.collection` was mqtt_user.
 * A failing query denied the client (not_authorized; read in the 4.4 source) -> on_backend_error deny.
 */
import { bool, duration, enumOf, flag, int, list, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import { hostPorts, passwordHash, tlsFields, versionNumber } from './auth-common.js';
import { asBool, asHostPorts, asInt, asMs, asPasswordHash, asString, eeTls, enterpriseMapper, type EeRule } from './auth-enterprise.js';

const TOPOLOGY = [
  'pool_size', 'max_overflow', 'overflow_ttl', 'overflow_check_period', 'local_threshold_ms', 'connect_timeout_ms',
  'socket_timeout_ms', 'server_selection_timeout_ms', 'wait_queue_timeout_ms', 'heartbeat_frequency_ms', 'min_heartbeat_frequency_ms',
];

export const authMongo = defineMapping({
  source: 'emqx_auth_mongo',
  moduleType: 'auth-mongodb',
  loadedAs: ['emqx_auth_mongo'],
  fields: [
    { key: 'auth.mongo.type', pointer: '/mongo_type', codec: enumOf('single', 'unknown', 'sharded', 'rs'), legacyDefault: 'single' },
    { key: 'auth.mongo.srv_record', pointer: '/srv_record', codec: bool, legacyDefault: 'false' },
    { key: 'auth.mongo.rs_set_name', pointer: '/rs_set_name', codec: str },
    { key: 'auth.mongo.server', pointer: '/servers', codec: hostPorts(27017), legacyDefault: '127.0.0.1:27017' },
    { key: 'auth.mongo.pool', pointer: '/pool_size', codec: int, legacyDefault: '8' },
    { key: 'auth.mongo.username', pointer: '/username', codec: str },
    { key: 'auth.mongo.login', pointer: '/username', codec: str },
    { key: 'auth.mongo.password', pointer: '/password', codec: str, secret: true },
    { key: 'auth.mongo.database', pointer: '/database', codec: str, legacyDefault: 'mqtt' },
    { key: 'auth.mongo.auth_source', pointer: '/auth_source', codec: str },
    ...tlsFields({
      enable: { key: 'auth.mongo.ssl', codec: flag },
      cafile: ['auth.mongo.ssl.cacertfile', 'auth.mongo.ssl_opts.cacertfile'],
      certfile: ['auth.mongo.ssl.certfile', 'auth.mongo.ssl_opts.certfile'],
      keyfile: ['auth.mongo.ssl.keyfile', 'auth.mongo.ssl_opts.keyfile'],
      verify: { keys: ['auth.mongo.ssl.verify'], codec: bool },
      sni: ['auth.mongo.ssl.server_name_indication'],
    }),
    { key: 'auth.mongo.w_mode', pointer: '/w_mode', codec: enumOf('safe', 'unsafe', 'undef'), legacyDefault: 'undef' },
    { key: 'auth.mongo.r_mode', pointer: '/r_mode', codec: enumOf('master', 'slave_ok', 'undef'), legacyDefault: 'undef' },
    ...TOPOLOGY.map((name) => ({ key: `auth.mongo.topology.${name}`, pointer: `/topology/${name}`, codec: int })),
    { key: 'auth.mongo.query_timeout', pointer: '/query_timeout', codec: duration },
    { key: 'auth.mongo.auth_query.collection', pointer: '/auth_query/collection', codec: str, legacyDefault: 'mqtt_user' },
    { key: 'auth.mongo.auth_query.password_field', pointer: '/auth_query/password_field', codec: list(str), legacyDefault: 'password' },
    { key: 'auth.mongo.auth_query.password_hash', pointer: '/auth_query/password_hash', codec: passwordHash },
    { key: 'auth.mongo.auth_query.selector', pointer: '/auth_query/selector', codec: str, legacyDefault: '' },
    { key: 'auth.mongo.super_query', pointer: '/super_query/enable', codec: flag, legacyDefault: 'off' },
    { key: 'auth.mongo.super_query.collection', pointer: '/super_query/collection', codec: str, legacyDefault: 'mqtt_user' },
    { key: 'auth.mongo.super_query.super_field', pointer: '/super_query/super_field', codec: str, legacyDefault: 'is_superuser' },
    { key: 'auth.mongo.super_query.selector', pointer: '/super_query/selector', codec: str, legacyDefault: '' },
    { key: 'auth.mongo.acl_query', pointer: '/acl_query/enable', codec: flag, legacyDefault: 'off' },
    { key: 'auth.mongo.acl_query.collection', pointer: '/acl_query/collection', codec: str, legacyDefault: 'mqtt_user' },
    { key: 'auth.mongo.acl_query.selector', pointer: '/acl_query/selector', codec: str, legacyDefault: '' },
    { key: 'auth.mongo.acl_query.selector.$id', pointer: '/acl_query/selectors/$id', codec: str },
  ],
  afterForward(config, ctx, result) {
    // "" legacy defaults cannot be decoded into a field by defineMapping's fill (empty text): set them.
    const fill = (key: string, obj: string, prop: string) => {
      if (result.keys.some((k) => k.key === key)) return;
      const target = ((config[obj] ??= {}) as Record<string, unknown>);
      if (target[prop] === undefined) target[prop] = '';
    };
    fill('auth.mongo.auth_query.selector', 'auth_query', 'selector');
    fill('auth.mongo.super_query.selector', 'super_query', 'selector');
    fill('auth.mongo.acl_query.selector', 'acl_query', 'selector');
    const v = versionNumber(ctx.version);
    if (config.mongo_type === 'rs' && config.rs_set_name === undefined && (v === undefined || v < 44)) config.rs_set_name = 'mqtt';
    const topology = config.topology as Record<string, unknown> | undefined;
    if (topology && Object.keys(topology).length === 0) delete config.topology;
    config.on_backend_error = 'deny';
  },
  beforeReverse(config) {
    // "" selectors are what an absent key means: leave them out.
    for (const q of ['auth_query', 'super_query', 'acl_query']) {
      const o = config[q] as Record<string, unknown> | undefined;
      if (o && o.selector === '') delete o.selector;
    }
    return config;
  },
  notMapped: [{ key: 'auth.mongo.topology.$name', reason: 'not a MongoDB topology option known to emqx_auth_mongo' }],
  enterpriseTypes: ['mongo_authentication'],
  fromEnterprise: enterpriseMapper(
    'auth-mongodb',
    {
      type: { pointer: '/mongo_type', convert: (v) => (v === 'shared' ? 'sharded' : asString(v, () => {})) },
      server: { pointer: '/servers', convert: asHostPorts(27017) },
      srv_record: { pointer: '/srv_record', convert: asBool },
      rs_set_name: { pointer: '/rs_set_name' },
      pool_size: { pointer: '/pool_size', convert: asInt },
      login: { pointer: '/username' },
      username: { pointer: '/username' },
      password: { pointer: '/password', secret: true },
      auth_source: { pointer: '/auth_source' },
      database: { pointer: '/database' },
      auth_query_collection: { pointer: '/auth_query/collection' },
      auth_query_selector: { pointer: '/auth_query/selector' },
      auth_query_password_field: { pointer: '/auth_query/password_field', convert: (v) => String(v).split(',').map((s) => s.trim()).filter(Boolean) },
      auth_query_password_hash: { pointer: '/auth_query/password_hash', convert: asPasswordHash },
      super_query_collection: { pointer: '/super_query/collection' },
      super_query_field: { pointer: '/super_query/super_field' },
      super_query_selector: { pointer: '/super_query/selector' },
      acl_query_collection: { pointer: '/acl_query/collection' },
      acl_query_selectors: {
        pointer: '/acl_query/selectors',
        convert: (v) => (Array.isArray(v) ? v.map((s) => String((s as Record<string, unknown>).acl_query_selector ?? s)).filter(Boolean) : []),
      },
      w_mode: { pointer: '/w_mode' },
      r_mode: { pointer: '/r_mode', convert: (v) => (v === 'slave-ok' ? 'slave_ok' : asString(v, () => {})) },
      query_timeout: { pointer: '/query_timeout', convert: (v, w) => `${asMs(v, w)}ms` },
      ...Object.fromEntries(TOPOLOGY.map((name): [string, EeRule] => [`topology_${name}`, { pointer: `/topology/${name}`, convert: asMs }])),
      ...eeTls,
    },
    (config) => {
      config.on_backend_error = 'deny';
      // EE has no on/off switches: a non-empty collection / selector list turns the query on.
      const sq = config.super_query as Record<string, unknown> | undefined;
      if (sq) sq.enable = typeof sq.collection === 'string' && sq.collection !== '';
      const aq = config.acl_query as Record<string, unknown> | undefined;
      if (aq) {
        aq.enable = Array.isArray(aq.selectors) && aq.selectors.length > 0;
        aq.selector = '';
      }
    },
  ),
});
