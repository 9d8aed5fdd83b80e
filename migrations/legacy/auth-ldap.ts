/**
 * emqx_auth_ldap (4.0–4.4) -> auth-ldap. Version differences: 4.1 added `custom_base_dn`,
 * `filters.N.key|value|op`, `bind_as_user`; 4.2 added `ssl.keyfile`, `ssl.cacertfile` (4.0/4.1 had
 * them in the schema with a trailing space, so uncommenting them stopped the plugin: warned here),
 * `ssl.server_name_indication`, and changed the `ssl.verify` default verify_peer -> verify_none;
 * 4.3 removed `ssl.fail_if_no_peer_cert`.
 */
import { bool, durationIn, enumOf, int, list, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import { tlsFields, verifyMode, versionNumber } from './auth-common.js';
import { asBool, asDuration, asInt, asString, eeTls, enterpriseMapper } from './auth-enterprise.js';

export const authLdap = defineMapping({
  source: 'emqx_auth_ldap',
  moduleType: 'auth-ldap',
  loadedAs: ['emqx_auth_ldap'],
  fields: [
    { key: 'auth.ldap.servers', pointer: '/servers', codec: list(str), legacyDefault: '127.0.0.1' },
    { key: 'auth.ldap.port', pointer: '/port', codec: int, legacyDefault: '389' },
    { key: 'auth.ldap.pool', pointer: '/pool_size', codec: int, legacyDefault: '8' },
    { key: 'auth.ldap.bind_dn', pointer: '/bind_dn', codec: str, legacyDefault: 'cn=root,dc=emqx,dc=io' },
    { key: 'auth.ldap.bind_password', pointer: '/bind_password', codec: str, legacyDefault: 'public', secret: true },
    { key: 'auth.ldap.timeout', pointer: '/timeout', codec: durationIn('ms'), legacyDefault: '30s' },
    ...tlsFields({
      enable: { key: 'auth.ldap.ssl', codec: bool, legacyDefault: 'false' },
      cafile: ['auth.ldap.ssl.cacertfile'],
      certfile: ['auth.ldap.ssl.certfile'],
      keyfile: ['auth.ldap.ssl.keyfile'],
      verify: { keys: ['auth.ldap.ssl.verify'], codec: verifyMode },
      sni: ['auth.ldap.ssl.server_name_indication'],
    }),
    { key: 'auth.ldap.device_dn', pointer: '/device_dn', codec: str, legacyDefault: 'ou=device,dc=emqx,dc=io' },
    { key: 'auth.ldap.match_objectclass', pointer: '/match_objectclass', codec: str, legacyDefault: 'mqttUser' },
    { key: 'auth.ldap.username.attributetype', pointer: '/username_attribute', codec: str, legacyDefault: 'uid' },
    { key: 'auth.ldap.password.attributetype', pointer: '/password_attribute', codec: str, legacyDefault: 'userPassword' },
    { key: 'auth.ldap.custom_base_dn', pointer: '/custom_base_dn', codec: str },
    { key: 'auth.ldap.filters.$id.key', pointer: '/filters/$id/key', codec: str },
    { key: 'auth.ldap.filters.$id.value', pointer: '/filters/$id/value', codec: str },
    { key: 'auth.ldap.filters.$id.op', pointer: '/filters/$id/op', codec: enumOf('and', 'or') },
    { key: 'auth.ldap.bind_as_user', pointer: '/bind_as_user', codec: bool, legacyDefault: 'false' },
  ],
  notMapped: [
    { key: 'auth.ldap.ssl.fail_if_no_peer_cert', reason: 'a TLS server option (4.0–4.2): meaningless for the LDAP client, removed in 4.3' },
  ],
  afterForward(config, ctx, result) {
    const v = versionNumber(ctx.version);
    if (v !== undefined && v <= 41) {
      // 4.0/4.1: verify_peer was the default
      const ssl = (config.ssl ??= {}) as Record<string, unknown>;
      if (ssl.verify === undefined) ssl.verify = true;
      for (const key of ['auth.ldap.ssl.keyfile', 'auth.ldap.ssl.cacertfile']) {
        const k = result.keys.find((o) => o.key === key);
        if (k) result.warnings.push({ code: 'unknown-in-version', message: `${key} is unknown to the ${ctx.version} schema (it had a trailing space): that node's plugin could not start`, location: k.location });
      }
    }
  },
  enterpriseTypes: ['ldap_authentication'],
  fromEnterprise: enterpriseMapper('auth-ldap', {
    servers: { pointer: '/servers', convert: (v) => String(v).split(',').map((s) => s.trim()).filter(Boolean) },
    port: { pointer: '/port', convert: asInt },
    timeout: { pointer: '/timeout', convert: asDuration },
    pool_size: { pointer: '/pool_size', convert: asInt },
    bind_dn: { pointer: '/bind_dn' },
    bind_password: { pointer: '/bind_password', secret: true },
    device_dn: { pointer: '/device_dn' },
    match_object_class: { pointer: '/match_objectclass' },
    username_attribute_type: { pointer: '/username_attribute' },
    password_attribute_type: { pointer: '/password_attribute' },
    custom_base_dn: { pointer: '/custom_base_dn', convert: (v) => (v === '' ? undefined : asString(v, () => {})) },
    bind_as_user: { pointer: '/bind_as_user', convert: asBool },
    ...eeTls,
  }),
});
