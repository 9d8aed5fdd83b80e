/**
 * emqx_coap (4.0: coap.port / coap.dtls.port; 4.1+: coap.bind.udp.N / coap.bind.dtls.N) and the EE
 * `coap_protocol` module -> gateway-coap. The one `coap.dtls.*` block applies to every DTLS listener.
 * 4.x clients use /mqtt/{topic}?c=&u=&p=, publish at QoS 0 and subscribe at QoS 1: a migrated config
 * sets legacy_mqtt_path, publish_qos qos0 and subscribe_qos qos1 so they keep working.
 */
import { defineMapping } from './define-mapping.js';
import { bool, enumOf, flag, list, str } from './codecs.js';
import { assembleListeners, legacyBind, splitListeners, type ListenerGroup } from './gateway-listeners.js';
import { ee, eeProtocol } from './ee-protocol.js';

const TYPE = 'gateway-coap';
const groups: ListenerGroup[] = [
  { from: '_udp', type: 'udp' },
  { from: '_dtls', type: 'dtls', shared: { from: '_dtlsopt', optionsKey: 'dtls_options' } },
];

/** What 4.x did, and what a migrated config must keep (not expressible in the 4.x conf). */
export const COAP_LEGACY_BEHAVIOUR = { legacy_mqtt_path: true, publish_qos: 'qos0', subscribe_qos: 'qos1' } as const;

export const emqxCoap = defineMapping({
  source: 'emqx_coap',
  moduleType: TYPE,
  loadedAs: ['emqx_coap'],
  fields: [
    { key: 'coap.bind.udp.$id', pointer: '/_udp/$id/bind', codec: legacyBind },
    { key: 'coap.port', pointer: '/_udp/0/bind', codec: legacyBind },
    { key: 'coap.bind.dtls.$id', pointer: '/_dtls/$id/bind', codec: legacyBind },
    { key: 'coap.dtls.port', pointer: '/_dtls/0/bind', codec: legacyBind },
    { key: 'coap.enable_stats', pointer: '/enable_stats', codec: flag },
    { key: 'coap.dtls.certfile', pointer: '/_dtlsopt/certfile', codec: str },
    { key: 'coap.dtls.keyfile', pointer: '/_dtlsopt/keyfile', codec: str },
    { key: 'coap.dtls.cacertfile', pointer: '/_dtlsopt/cacertfile', codec: str },
    { key: 'coap.dtls.verify', pointer: '/_dtlsopt/verify', codec: enumOf('verify_none', 'verify_peer') },
    { key: 'coap.dtls.fail_if_no_peer_cert', pointer: '/_dtlsopt/fail_if_no_peer_cert', codec: bool },
    { key: 'coap.dtls.ciphers', pointer: '/_dtlsopt/ciphers', codec: list(str) },
  ],
  afterForward(config, _ctx, result) {
    assembleListeners(config, result, TYPE, groups);
    Object.assign(config, COAP_LEGACY_BEHAVIOUR);
  },
  beforeReverse(config) {
    for (const k of Object.keys(COAP_LEGACY_BEHAVIOUR)) delete config[k];
    return splitListeners(config, groups);
  },
  enterpriseTypes: ['coap_protocol'],
  fromEnterprise: eeProtocol(TYPE, ['udp', 'dtls'], [{ from: 'enable_stats', pointer: '/enable_stats', convert: ee.boolOf }], {}, (config) =>
    Object.assign(config, COAP_LEGACY_BEHAVIOUR),
  ),
});
