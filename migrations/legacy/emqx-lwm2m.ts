/**
 * emqx_lwm2m (4.0: lwm2m.port; 4.1+: lwm2m.bind.udp.N / dtls.N) and the EE `lwm2m_protocol` module ->
 * gateway-lwm2m. `lwm2m.opts.*` tune every listener's socket (udp_options); the DTLS block (4.2+
 * `lwm2m.dtls.*`, 4.0/4.1 `lwm2m.certfile|keyfile`) applies to every DTLS listener.
 */
import { defineMapping } from './define-mapping.js';
import { bool, bytesize, CodecError, durationIn, enumOf, int, list, mapped, parseLegacyBytesize, str, type Codec } from './codecs.js';
import { assembleListeners, legacyBind, splitListeners, type ListenerGroup } from './gateway-listeners.js';
import { ee, eeProtocol } from './ee-protocol.js';

const TYPE = 'gateway-lwm2m';
const groups: ListenerGroup[] = [
  { from: '_udp', type: 'udp' },
  { from: '_dtls', type: 'dtls', shared: { from: '_dtlsopt', optionsKey: 'dtls_options' } },
];

/** `qmode_time_window` is a bare integer of seconds in 4.x. */
const seconds: Codec<string> = {
  name: 'integer (seconds)',
  decode: (raw) => `${int.decode(raw)}s`,
  encode(v) {
    const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(v);
    const mul: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
    if (!m || m[2] === 'ms') throw new CodecError(`${v} is not a whole number of seconds`);
    return String(Number(m[1]) * mul[m[2]!]!);
  },
};

/** `off` | `on` | a comma list of object paths (`/3/0,/3/0/1`). */
const autoObserve: Codec<boolean | string[]> = {
  name: 'off | on | object paths',
  decode: (raw) => (raw === 'off' || raw === 'false' ? false : raw === 'on' || raw === 'true' ? true : list(str).decode(raw)),
  encode: (v) => (v === false ? 'off' : v === true ? 'on' : v.join(',')),
};

/** `lwm2m.opts.read_packets` is typed bytesize in 4.x but is a count. */
const count: Codec<number> = { name: 'integer', decode: (raw) => parseLegacyBytesize(raw), encode: (v) => String(v) };

export const emqxLwm2m = defineMapping({
  source: 'emqx_lwm2m',
  moduleType: TYPE,
  loadedAs: ['emqx_lwm2m'],
  fields: [
    { key: 'lwm2m.bind.udp.$id', pointer: '/_udp/$id/bind', codec: legacyBind },
    { key: 'lwm2m.port', pointer: '/_udp/0/bind', codec: legacyBind },
    { key: 'lwm2m.bind.dtls.$id', pointer: '/_dtls/$id/bind', codec: legacyBind },
    { key: 'lwm2m.lifetime_min', pointer: '/lifetime_min', codec: durationIn('s'), legacyDefault: '0' },
    { key: 'lwm2m.lifetime_max', pointer: '/lifetime_max', codec: durationIn('s'), legacyDefault: '315360000' },
    { key: 'lwm2m.qmode_time_window', pointer: '/qmode_time_window', codec: seconds, legacyDefault: '0' },
    { key: 'lwm2m.auto_observe', pointer: '/auto_observe', codec: autoObserve, legacyDefault: 'off' },
    { key: 'lwm2m.lb', pointer: '/behind_coaproxy', codec: mapped({ coaproxy: true, undefined: false }) },
    { key: 'lwm2m.mountpoint', pointer: '/mountpoint', codec: str, legacyDefault: '' },
    { key: 'lwm2m.topics.command', pointer: '/translators/command', codec: str, legacyDefault: 'lwm2m/%e/dn/#' },
    { key: 'lwm2m.topics.response', pointer: '/translators/response', codec: str, legacyDefault: 'lwm2m/%e/up/resp' },
    { key: 'lwm2m.topics.notify', pointer: '/translators/notify', codec: str, legacyDefault: 'lwm2m/%e/up/notify' },
    { key: 'lwm2m.topics.register', pointer: '/translators/register', codec: str, legacyDefault: 'lwm2m/%e/up/resp' },
    { key: 'lwm2m.topics.update', pointer: '/translators/update', codec: str, legacyDefault: 'lwm2m/%e/up/resp' },
    { key: 'lwm2m.update_msg_publish_condition', pointer: '/update_msg_publish_condition', codec: enumOf('contains_object_list', 'always') },
    { key: 'lwm2m.xml_dir', pointer: '/xml_dir', codec: str },
    { key: 'lwm2m.opts.buffer', pointer: '/_opts/buffer', codec: bytesize },
    { key: 'lwm2m.opts.recbuf', pointer: '/_opts/recbuf', codec: bytesize },
    { key: 'lwm2m.opts.sndbuf', pointer: '/_opts/sndbuf', codec: bytesize },
    { key: 'lwm2m.opts.read_packets', pointer: '/_opts/read_packets', codec: count },
    { key: 'lwm2m.dtls.certfile', pointer: '/_dtlsopt/certfile', codec: str },
    { key: 'lwm2m.certfile', pointer: '/_dtlsopt/certfile', codec: str },
    { key: 'lwm2m.dtls.keyfile', pointer: '/_dtlsopt/keyfile', codec: str },
    { key: 'lwm2m.keyfile', pointer: '/_dtlsopt/keyfile', codec: str },
    { key: 'lwm2m.dtls.cacertfile', pointer: '/_dtlsopt/cacertfile', codec: str },
    { key: 'lwm2m.dtls.verify', pointer: '/_dtlsopt/verify', codec: enumOf('verify_none', 'verify_peer') },
    { key: 'lwm2m.dtls.fail_if_no_peer_cert', pointer: '/_dtlsopt/fail_if_no_peer_cert', codec: bool },
    { key: 'lwm2m.dtls.ciphers', pointer: '/_dtlsopt/ciphers', codec: list(str) },
    { key: 'lwm2m.dtls.psk_ciphers', pointer: '/_dtlsopt/psk_ciphers', codec: list(str) },
  ],
  notMapped: [{ key: 'lwm2m.opts.$name', reason: 'socket option not supported by modmq (only buffer, recbuf, sndbuf, read_packets)' }],
  afterForward(config, _ctx, result) {
    const opts = config['_opts'] as Record<string, unknown> | undefined;
    delete config['_opts'];
    assembleListeners(config, result, TYPE, groups);
    const listeners = config['listeners'] as Record<string, unknown>[] | undefined;
    if (opts && listeners) for (const l of listeners) l['udp_options'] = { ...opts };
    for (const k of result.keys) {
      const m = /#\/_opts\/(.*)$/.exec(k.target ?? '');
      if (!m) continue;
      if (listeners) k.target = `${TYPE}#/listeners/0/udp_options/${m[1]}`; // copied onto every listener
      else Object.assign(k, { class: 'not-mapped', reason: 'no listener is bound in this file: the socket option has nothing to apply to', target: undefined });
      if (!k.target) delete k.target;
    }
  },
  beforeReverse(config) {
    const first = (config['listeners'] as Record<string, unknown>[] | undefined)?.[0];
    if (first?.['udp_options']) config['_opts'] = first['udp_options'];
    for (const l of (config['listeners'] as Record<string, unknown>[] | undefined) ?? []) delete l['udp_options'];
    return splitListeners(config, groups);
  },
  enterpriseTypes: ['lwm2m_protocol'],
  fromEnterprise: eeProtocol(TYPE, ['udp', 'dtls'], [
    { from: 'lifetime_min', pointer: '/lifetime_min', convert: (v) => (ee.intOf(v) !== undefined ? `${ee.intOf(v)}s` : undefined) },
    { from: 'lifetime_max', pointer: '/lifetime_max', convert: (v) => (ee.intOf(v) !== undefined ? `${ee.intOf(v)}s` : undefined) },
    { from: 'qmode_time_window', pointer: '/qmode_time_window', convert: (v) => (ee.intOf(v) !== undefined ? `${ee.intOf(v)}s` : undefined) },
    { from: 'auto_observe', pointer: '/auto_observe', convert: ee.boolOf },
    { from: 'mountpoint', pointer: '/mountpoint', convert: (v) => (typeof v === 'string' ? v : undefined) },
    { from: 'command_topic', pointer: '/translators/command', convert: (v) => (typeof v === 'string' ? v : undefined) },
    { from: 'response_topic', pointer: '/translators/response', convert: (v) => (typeof v === 'string' ? v : undefined) },
    { from: 'notify_topic', pointer: '/translators/notify', convert: (v) => (typeof v === 'string' ? v : undefined) },
    { from: 'register_topic', pointer: '/translators/register', convert: (v) => (typeof v === 'string' ? v : undefined) },
    { from: 'update_topic', pointer: '/translators/update', convert: (v) => (typeof v === 'string' ? v : undefined) },
    { from: 'xml_dir', pointer: '/xml_dir', convert: (v) => (typeof v === 'string' && v ? v : undefined) },
  ]),
});
