/**
 * emqx_stomp (4.0–4.4, key set unchanged) and the EE `stomp_protocol` module -> gateway-stomp.
 * The one `stomp.listener` (+ `.ssl` and TLS keys) becomes listeners[0], type ssl when `.ssl = on`.
 */
import { defineMapping } from './define-mapping.js';
import { bool, duration, enumOf, flag, int, list, str } from './codecs.js';
import { assembleListeners, legacyBind, splitListeners, type ListenerGroup } from './gateway-listeners.js';
import { ee, eeProtocol } from './ee-protocol.js';

const TYPE = 'gateway-stomp';
const groups: ListenerGroup[] = [{ from: '_l', type: 'tcp' }];
const L = 'stomp.listener';
const P = '/_l/0';
const tls = (key: string, pointer: string, codec: Parameters<typeof defineMapping>[0]['fields'][number]['codec']) => ({
  key: `${L}.${key}`,
  pointer: `${P}/ssl_options/${pointer}`,
  codec,
});

export const emqxStomp = defineMapping({
  source: 'emqx_stomp',
  moduleType: TYPE,
  loadedAs: ['emqx_stomp'],
  fields: [
    { key: L, pointer: `${P}/bind`, codec: legacyBind, legacyDefault: '61613' },
    { key: `${L}.acceptors`, pointer: `${P}/acceptors`, codec: int, legacyDefault: '4' },
    { key: `${L}.max_connections`, pointer: `${P}/max_connections`, codec: int, legacyDefault: '512' },
    { key: `${L}.ssl`, pointer: `${P}/_ssl`, codec: flag },
    tls('certfile', 'certfile', str),
    tls('keyfile', 'keyfile', str),
    tls('cacertfile', 'cacertfile', str),
    tls('dhfile', 'dhfile', str),
    tls('verify', 'verify', enumOf('verify_none', 'verify_peer')),
    tls('fail_if_no_peer_cert', 'fail_if_no_peer_cert', bool),
    tls('tls_versions', 'versions', list(str)),
    tls('ciphers', 'ciphers', list(str)),
    tls('handshake_timeout', 'handshake_timeout', duration),
    tls('secure_renegotiate', 'secure_renegotiate', flag),
    tls('reuse_sessions', 'reuse_sessions', flag),
    tls('honor_cipher_order', 'honor_cipher_order', flag),
    { key: 'stomp.default_user.login', pointer: '/default_user/login', codec: str, legacyDefault: 'guest' },
    { key: 'stomp.default_user.passcode', pointer: '/default_user/passcode', codec: str, legacyDefault: 'guest', secret: true },
    { key: 'stomp.allow_anonymous', pointer: '/allow_anonymous', codec: bool, legacyDefault: 'true' },
    { key: 'stomp.frame.max_headers', pointer: '/frame/max_headers', codec: int, legacyDefault: '10' },
    { key: 'stomp.frame.max_header_length', pointer: '/frame/max_header_length', codec: int, legacyDefault: '1024' },
    { key: 'stomp.frame.max_body_length', pointer: '/frame/max_body_length', codec: int, legacyDefault: '8192' },
  ],
  afterForward(config, _ctx, result) {
    const l = ((config['_l'] as Record<string, Record<string, unknown>> | undefined) ?? {})['0'];
    if (l) {
      l['bind'] ??= '61613'; // acceptors/max_connections legacy defaults exist even without the port key
      const ssl = l['_ssl'] === true;
      delete l['_ssl'];
      if (!ssl && l['ssl_options']) {
        delete l['ssl_options'];
        for (const k of result.keys)
          if (k.target?.includes('/ssl_options/')) Object.assign(k, { class: 'not-mapped', reason: 'stomp.listener.ssl is off: TLS options unused' });
      }
      for (const k of result.keys) if (k.target?.endsWith('/_ssl')) Object.assign(k, { class: 'mapped', target: `${TYPE}#/listeners/0/type` });
      assembleListeners(config, result, TYPE, groups);
      const listeners = config['listeners'] as Record<string, unknown>[];
      if (ssl) listeners[0]!['type'] = 'ssl';
      for (const k of result.keys) if (k.class === 'not-mapped' && k.target) delete k.target;
    }
  },
  beforeReverse(config) {
    const listener = (config['listeners'] as Record<string, unknown>[] | undefined)?.[0];
    if (listener) config['listeners'] = [{ ...listener, type: 'tcp', _ssl: listener['type'] === 'ssl' }];
    splitListeners(config, groups);
    const l = (config['_l'] as Record<string, unknown>[])[0];
    if (l && l['_ssl'] === false) delete l['_ssl'];
    return config;
  },
  enterpriseTypes: ['stomp_protocol'],
  fromEnterprise: eeProtocol(TYPE, ['tcp', 'ssl'], [
    { from: 'allow_anonymous', pointer: '/allow_anonymous', convert: ee.boolOf },
    { from: 'default_username', pointer: '/default_user/login', convert: (v) => (typeof v === 'string' ? v : undefined) },
    { from: 'default_password', pointer: '/default_user/passcode', convert: (v) => (typeof v === 'string' ? v : undefined), secret: true },
    { from: 'max_headers', pointer: '/frame/max_headers', convert: ee.intOf },
    { from: 'max_header_length', pointer: '/frame/max_header_length', convert: ee.intOf },
    { from: 'max_body_length', pointer: '/frame/max_body_length', convert: ee.intOf },
  ]),
});
