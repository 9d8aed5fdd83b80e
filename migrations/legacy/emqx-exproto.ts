/**
 * emqx_exproto (4.3/4.4 gRPC; 4.2 erlport drivers) and the EE `exproto` module -> exproto.
 * `exproto.listener.<name> = <type>://<bind>` is a listener named <name> with its own handler
 * (`connection_handler_*`); `exproto.server.http.port` (or https.*) is the adapter server.
 */
import { defineMapping, type FieldRule } from './define-mapping.js';
import type { ConfLine, LegacyMapping } from './mapping.js';
import { bool, bytesize, duration, enumOf, flag, int, list, parseLegacyDuration, str } from './codecs.js';
import { legacyBind, schemeBind } from './gateway-listeners.js';
import { ee, eeProtocol } from './ee-protocol.js';

const TYPE = 'exproto';
const L = 'exproto.listener.$name';
const P = '/_lst/$name';
const f = (key: string, pointer: string, codec: FieldRule['codec']): FieldRule => ({ key: `${L}.${key}`, pointer: `${P}/${pointer}`, codec });
const DRIVER = '4.2 erlport drivers (python3/java) have no equivalent: port the driver to a gRPC ConnectionHandler service and set the listener handler';

const table = defineMapping({
  source: 'emqx_exproto',
  moduleType: TYPE,
  loadedAs: ['emqx_exproto'],
  fields: [
    { key: 'exproto.server.http.port', pointer: '/server/bind', codec: legacyBind },
    { key: 'exproto.server.https.port', pointer: '/_https/bind', codec: legacyBind },
    { key: 'exproto.server.https.certfile', pointer: '/_https/ssl_options/certfile', codec: str },
    { key: 'exproto.server.https.keyfile', pointer: '/_https/ssl_options/keyfile', codec: str },
    { key: 'exproto.server.https.cacertfile', pointer: '/_https/ssl_options/cacertfile', codec: str },
    { key: L, pointer: `${P}/_scheme`, codec: schemeBind },
    f('connection_handler_url', 'handler/address', str),
    f('connection_handler_certfile', 'handler/ssl_options/certfile', str),
    f('connection_handler_cacertfile', 'handler/ssl_options/cacertfile', str),
    f('connection_handler_keyfile', 'handler/ssl_options/keyfile', str),
    f('acceptors', 'acceptors', int),
    f('max_connections', 'max_connections', int),
    f('max_conn_rate', 'max_conn_rate', int),
    f('idle_timeout', '_idle', duration),
    f('access.$id', 'access_rules/$id', str),
    f('proxy_protocol', 'proxy_protocol', flag),
    f('proxy_protocol_timeout', 'proxy_protocol_timeout', duration),
    f('active_n', 'tcp_options/active_n', int),
    f('backlog', 'tcp_options/backlog', int),
    f('send_timeout', 'tcp_options/send_timeout', duration),
    f('send_timeout_close', 'tcp_options/send_timeout_close', flag),
    f('recbuf', 'tcp_options/recbuf', bytesize),
    f('sndbuf', 'tcp_options/sndbuf', bytesize),
    f('buffer', 'tcp_options/buffer', bytesize),
    f('nodelay', 'tcp_options/nodelay', bool),
    f('reuseaddr', 'tcp_options/reuseaddr', bool),
    f('tls_versions', 'ssl_options/versions', list(str)),
    f('ciphers', 'ssl_options/ciphers', list(str)),
    f('psk_ciphers', 'ssl_options/psk_ciphers', list(str)),
    f('dhfile', 'ssl_options/dhfile', str),
    f('keyfile', 'ssl_options/keyfile', str),
    f('certfile', 'ssl_options/certfile', str),
    f('cacertfile', 'ssl_options/cacertfile', str),
    f('verify', 'ssl_options/verify', enumOf('verify_none', 'verify_peer')),
    f('fail_if_no_peer_cert', 'ssl_options/fail_if_no_peer_cert', bool),
    f('secure_renegotiate', 'ssl_options/secure_renegotiate', flag),
    f('reuse_sessions', 'ssl_options/reuse_sessions', flag),
    f('honor_cipher_order', 'ssl_options/honor_cipher_order', flag),
  ],
  notMapped: [
    { key: `${L}.driver`, reason: DRIVER },
    { key: `${L}.driver_search_path`, reason: DRIVER },
    { key: `${L}.driver_callback_module`, reason: DRIVER },
    { key: `${L}.tune_buffer`, reason: 'buffer tuning is automatic in modmq' },
  ],
  afterForward(config, _ctx, result) {
    const https = config['_https'] as Record<string, unknown> | undefined;
    delete config['_https'];
    const server = (config['server'] as Record<string, unknown> | undefined) ?? {};
    for (const k of result.keys) {
      const m = /#\/_https(\/.*)$/.exec(k.target ?? '');
      if (!m) continue;
      if (server['bind'] === undefined) k.target = `${TYPE}#/server${m[1]}`;
      else Object.assign(k, { class: 'not-mapped', reason: 'modmq serves the adapter on one port: exproto.server.http.port is used' }), delete k.target;
    }
    if (https && server['bind'] === undefined) config['server'] = { ...https };
    const raw = (config['_lst'] as Record<string, Record<string, unknown>> | undefined) ?? {};
    delete config['_lst'];
    // file order, not Object.keys order (which puts integer-like names such as `0` first)
    const inFile = result.keys.map((k) => /#\/_lst\/([^/]+)/.exec(k.target ?? '')?.[1]).filter((n): n is string => n !== undefined && n in raw);
    // 4.x starts a listener per `exproto.listener.<name>` line; options of a name without one are ignored
    const names = [...new Set([...inFile, ...Object.keys(raw)])].filter((n) => raw[n]!['_scheme'] !== undefined);
    const idles: unknown[] = [];
    const listeners = names.map((name) => {
      const { _scheme, _idle, ...rest } = raw[name]!;
      const scheme = _scheme as { type: string; bind: string };
      idles.push(_idle);
      const l: Record<string, unknown> = { name, type: scheme.type, bind: scheme.bind, ...rest };
      const udp = scheme.type === 'udp' || scheme.type === 'dtls';
      if (udp && l['tcp_options']) {
        const { active_n, recbuf, sndbuf, buffer, reuseaddr } = l['tcp_options'] as Record<string, unknown>;
        const kept = Object.fromEntries(Object.entries({ active_n, recbuf, sndbuf, buffer, reuseaddr }).filter(([, v]) => v !== undefined));
        if (Object.keys(kept).length) l['udp_options'] = kept; // TCP-only options (nodelay, backlog...) are dropped below
        delete l['tcp_options'];
      }
      if (scheme.type === 'dtls' && l['ssl_options']) (l['dtls_options'] = l['ssl_options']), delete l['ssl_options'];
      if ((scheme.type === 'tcp' || scheme.type === 'udp') && l['ssl_options']) delete l['ssl_options'];
      if (_idle !== undefined && config['idle_timeout'] === undefined) config['idle_timeout'] = _idle;
      return l;
    });
    if (listeners.length) config['listeners'] = listeners;
    for (const k of result.keys) {
      const m = /#\/_lst\/([^/]+)(\/.*)?$/.exec(k.target ?? '');
      if (!m) continue;
      const i = names.indexOf(m[1]!);
      const l = listeners[i];
      if (!l) {
        Object.assign(k, { class: 'not-mapped', reason: `exproto.listener.${m[1]} (its bind) is not set: 4.x starts no such listener` });
        delete k.target;
        continue;
      }
      let rest = m[2] ?? '';
      if (rest === '/_scheme') rest = '/bind';
      if (rest === '/_idle') {
        // one idle_timeout for the gateway: the first listener's wins
        if (parseLegacyDuration(String(idles[i])) === parseLegacyDuration(String(config['idle_timeout']))) k.target = `${TYPE}#/idle_timeout`;
        else Object.assign(k, { class: 'not-mapped', reason: `modmq has one idle_timeout for all listeners: ${String(config['idle_timeout'])} (the first listener's) is used` }), delete k.target;
        continue;
      }
      if (rest.startsWith('/tcp_options/') && l['udp_options']) rest = rest.replace('/tcp_options/', '/udp_options/');
      if (rest.startsWith('/ssl_options/') && l['dtls_options']) rest = rest.replace('/ssl_options/', '/dtls_options/');
      const tcpOnly = rest.startsWith('/udp_options/') && (l['udp_options'] as Record<string, unknown>)[rest.slice('/udp_options/'.length)] === undefined;
      const dropped = (rest.startsWith('/ssl_options/') && !l['ssl_options']) || (rest.startsWith('/tcp_options/') && !l['tcp_options'] && !l['udp_options']) || tcpOnly;
      if (dropped) Object.assign(k, { class: 'not-mapped', reason: `not used by a ${String(l['type'])} listener` }), delete k.target;
      else k.target = `${TYPE}#/listeners/${i}${rest}`;
      if (rest === '/bind') k.class = 'mapped';
    }
  },
  beforeReverse(config) {
    // a TLS adapter server is written as `exproto.server.https.*` (forward reads it when http.port is absent)
    const server = config['server'] as Record<string, unknown> | undefined;
    if (server?.['ssl_options']) (config['_https'] = server), delete config['server'];
    const listeners = (config['listeners'] as Record<string, unknown>[] | undefined) ?? [];
    delete config['listeners'];
    const idle = config['idle_timeout'];
    config['_lst'] = Object.fromEntries(
      listeners.map((l) => {
        const { name, type, bind, udp_options, dtls_options, ...rest } = l;
        const out: Record<string, unknown> = { _scheme: { type, bind }, ...rest };
        if (udp_options) out['tcp_options'] = udp_options;
        if (dtls_options) out['ssl_options'] = dtls_options;
        if (idle !== undefined) out['_idle'] = idle;
        return [String(name), out];
      }),
    );
    return config;
  },
  enterpriseTypes: ['exproto'],
  fromEnterprise: eeProtocol(TYPE, ['tcp', 'ssl', 'udp', 'dtls'], [
    { from: 'port', pointer: '/server/bind', convert: (v) => (ee.intOf(v) !== undefined ? String(ee.intOf(v)) : undefined) },
  ], { ssl: 'adapter TLS: set server.ssl_options by hand (EE files are inline)', cacertfile: 'see ssl', certfile: 'see ssl', keyfile: 'see ssl' }, (config, eeConfig) => {
    // EE listeners carry their handler URL
    const ls = (config['listeners'] as Record<string, unknown>[] | undefined) ?? [];
    ((eeConfig['listeners'] as Record<string, unknown>[] | undefined) ?? []).forEach((item, i) => {
      const url = item?.['connection_handler_url'];
      if (typeof url === 'string' && ls[i]) ls[i]!['handler'] = { address: url };
    });
  }),
});

/** The listener a reverse line belongs to (`exproto.listener.<name>[.option]`; dots in names are escaped). */
const listenerOf = (key: string) => /^exproto\.listener\.((?:\\.|[^.\\])+)/.exec(key)?.[1]?.replace(/\\\./g, '.');

/** Reverse writes each listener's lines together, in `listeners` order: forward reads listeners in file order. */
function inListenerOrder(lines: ConfLine[], config: Record<string, unknown>): ConfLine[] {
  const order = ((config['listeners'] as Record<string, unknown>[] | undefined) ?? []).map((l) => String(l['name']));
  const rank = (line: ConfLine) => {
    const name = listenerOf(line.key);
    return name === undefined ? -1 : order.indexOf(name);
  };
  return lines.map((line, i) => ({ line, i, r: rank(line) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.line);
}

export const emqxExproto: LegacyMapping = { ...table, reverse: (config) => inListenerOrder(table.reverse(config), config) };
