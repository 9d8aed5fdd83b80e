import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConf, renderConf } from '../../src/migrator/readers/cuttlefish.js';
import { createSchemaCatalog } from '../../src/schema/index.js';
import type { LegacyMapping, KeyOutcome } from '../../migrations/legacy/mapping.js';
import { emqxSn } from '../../migrations/legacy/emqx-sn.js';
import { emqxCoap } from '../../migrations/legacy/emqx-coap.js';
import { emqxStomp } from '../../migrations/legacy/emqx-stomp.js';
import { emqxLwm2m } from '../../migrations/legacy/emqx-lwm2m.js';
import { emqxExhook, emqxExtensionHook } from '../../migrations/legacy/emqx-exhook.js';
import { emqxExproto } from '../../migrations/legacy/emqx-exproto.js';
import { emqxJt808 } from '../../migrations/legacy/ee-gateways.js';

const catalog = await createSchemaCatalog();
const node = { name: 'n1', dir: '/n1', plugins: new Map(), problems: [] };

function run(mapping: LegacyMapping, file: string, text: string) {
  const result = mapping.forward(parseConf(text, file).settings, { node });
  const key = (k: string): KeyOutcome => {
    const found = result.keys.find((o) => o.key === k);
    assert.ok(found, `no outcome for ${k}`);
    return found;
  };
  const valid = catalog.validateModuleConfig(mapping.moduleType!, 1, result.config ?? {});
  assert.ok(valid.ok, JSON.stringify(valid));
  return { result, key, value: valid.value as Record<string, any> };
}

function roundTrip(mapping: LegacyMapping, value: Record<string, unknown>, file: string) {
  const text = renderConf(mapping.reverse(structuredClone(value)));
  const again = mapping.forward(parseConf(text, file).settings, { node });
  const valid = catalog.validateModuleConfig(mapping.moduleType!, 1, again.config ?? {});
  assert.ok(valid.ok, JSON.stringify(valid));
  assert.deepEqual(valid.value, value);
}

test('emqx_sn: port, predefined topics (0 reserved), credentials', () => {
  const file = 'etc/plugins/emqx_sn.conf';
  const { key, value } = run(emqxSn, file, [
    'mqtt.sn.port = 127.0.0.1:1885',
    'mqtt.sn.advertise_duration = 15m',
    'mqtt.sn.gateway_id = 7',
    'mqtt.sn.enable_qos3 = on',
    'mqtt.sn.predefined.topic.0 = reserved',
    'mqtt.sn.predefined.topic.10 = b/10',
    'mqtt.sn.predefined.topic.2 = a/2',
    'mqtt.sn.username = sn_user',
    'mqtt.sn.password = abc',
  ].join('\n'));
  assert.deepEqual(value.listeners.map((l: any) => [l.name, l.type, l.bind]), [['default', 'udp', '127.0.0.1:1885']]);
  assert.equal(value.gateway_id, 7);
  assert.equal(value.enable_qos3, true);
  assert.deepEqual(value.predefined, [{ id: 2, topic: 'a/2' }, { id: 10, topic: 'b/10' }]);
  assert.deepEqual(value.clientinfo_override, { username: 'sn_user', password: 'abc' });
  assert.deepEqual(key('mqtt.sn.port'), { key: 'mqtt.sn.port', location: { file, line: 1 }, class: 'mapped', target: 'gateway-mqttsn#/listeners/0/bind' });
  assert.equal(key('mqtt.sn.advertise_duration').class, 'defaulted');
  assert.equal(key('mqtt.sn.predefined.topic.0').class, 'not-mapped');
  assert.equal(key('mqtt.sn.predefined.topic.10').target, 'gateway-mqttsn#/predefined/1');
  assert.equal(key('mqtt.sn.password').secret, true);
  assert.equal(key('mqtt.sn.password').location.line, 9);
  roundTrip(emqxSn, value, file);
});

test('emqx_sn: the 4.x default advertise interval (15s) is kept when the key is absent', () => {
  const { value } = run(emqxSn, 'etc/plugins/emqx_sn.conf', 'mqtt.sn.port = 1884');
  assert.equal(value.advertise_duration, '15s');
});

test('emqx_coap: udp and dtls binds become listeners; dtls options on every dtls listener; 4.x behaviour kept', () => {
  const file = 'etc/plugins/emqx_coap.conf';
  const { key, value } = run(emqxCoap, file, [
    'coap.bind.udp.1 = 0.0.0.0:5683',
    'coap.bind.udp.2 = ::1:6683',
    'coap.enable_stats = on',
    'coap.bind.dtls.1 = 0.0.0.0:5684',
    'coap.dtls.keyfile = etc/certs/key.pem',
    'coap.dtls.certfile = etc/certs/cert.pem',
    'coap.dtls.verify = verify_peer',
    'coap.dtls.ciphers = A,B',
  ].join('\n'));
  assert.deepEqual(value.listeners.map((l: any) => [l.name, l.type, l.bind]), [
    ['default', 'udp', '0.0.0.0:5683'],
    ['udp_2', 'udp', '[::1]:6683'],
    ['default', 'dtls', '0.0.0.0:5684'],
  ]);
  assert.deepEqual(value.listeners[2].dtls_options, { keyfile: 'etc/certs/key.pem', certfile: 'etc/certs/cert.pem', verify: 'verify_peer', ciphers: ['A', 'B'], fail_if_no_peer_cert: false, handshake_timeout: '15s', reuse_sessions: true });
  assert.equal(value.legacy_mqtt_path, true);
  assert.equal(value.publish_qos, 'qos0');
  assert.equal(value.subscribe_qos, 'qos1');
  assert.deepEqual({ ...key('coap.bind.udp.2') }, { key: 'coap.bind.udp.2', location: { file, line: 2 }, class: 'mapped', target: 'gateway-coap#/listeners/1/bind' });
  assert.equal(key('coap.bind.dtls.1').target, 'gateway-coap#/listeners/2/bind');
  assert.equal(key('coap.dtls.keyfile').target, 'gateway-coap#/listeners/2/dtls_options/keyfile');
  assert.equal(key('coap.dtls.ciphers').location.line, 8);
  roundTrip(emqxCoap, value, file);
});

test('emqx_coap 4.0: coap.port and coap.dtls.port', () => {
  const { value, key } = run(emqxCoap, 'etc/plugins/emqx_coap.conf', 'coap.port = 5683\ncoap.dtls.port = 5684\ncoap.dtls.keyfile = k.pem\ncoap.dtls.certfile = c.pem');
  assert.deepEqual(value.listeners.map((l: any) => [l.type, l.bind]), [['udp', '5683'], ['dtls', '5684']]);
  assert.equal(key('coap.dtls.port').target, 'gateway-coap#/listeners/1/bind');
});

test('emqx_stomp: listener with TLS, frame limits, default user; legacy listener defaults', () => {
  const file = 'etc/plugins/emqx_stomp.conf';
  const { key, value } = run(emqxStomp, file, [
    'stomp.listener = 61614',
    'stomp.listener.ssl = on',
    'stomp.listener.keyfile = etc/certs/key.pem',
    'stomp.listener.certfile = etc/certs/cert.pem',
    'stomp.listener.tls_versions = tlsv1.2,tlsv1.1',
    'stomp.default_user.login = admin',
    'stomp.default_user.passcode = s3cret',
    'stomp.allow_anonymous = false',
    'stomp.frame.max_body_length = 65536',
  ].join('\n'));
  const l = value.listeners[0];
  assert.deepEqual([l.type, l.bind, l.acceptors, l.max_connections], ['ssl', '61614', 4, 512]);
  assert.deepEqual(l.ssl_options.versions, ['tlsv1.2', 'tlsv1.1']);
  assert.deepEqual(value.default_user, { login: 'admin', passcode: 's3cret' });
  assert.equal(value.allow_anonymous, false);
  assert.equal(value.frame.max_body_length, 65536);
  assert.equal(key('stomp.listener.ssl').target, 'gateway-stomp#/listeners/0/type');
  assert.equal(key('stomp.listener.keyfile').target, 'gateway-stomp#/listeners/0/ssl_options/keyfile');
  assert.equal(key('stomp.default_user.passcode').secret, true);
  assert.equal(key('stomp.frame.max_body_length').location.line, 9);
  roundTrip(emqxStomp, value, file);
});

test('emqx_stomp: TLS keys with ssl off are not mapped', () => {
  const { key, value } = run(emqxStomp, 'etc/plugins/emqx_stomp.conf', 'stomp.listener = 61613\nstomp.listener.keyfile = k.pem');
  assert.equal(value.listeners[0].type, 'tcp');
  assert.equal(value.listeners[0].ssl_options, undefined);
  assert.equal(key('stomp.listener.keyfile').class, 'not-mapped');
});

test('emqx_lwm2m: shipped-style 4.4 conf', () => {
  const file = 'etc/plugins/emqx_lwm2m.conf';
  const { key, value } = run(emqxLwm2m, file, [
    'lwm2m.lifetime_min = 1s',
    'lwm2m.lifetime_max = 86400s',
    'lwm2m.qmode_time_window = 22',
    'lwm2m.auto_observe = /3/0,/3/0/1',
    'lwm2m.mountpoint = lwm2m/%e/',
    'lwm2m.topics.command = dn/#',
    'lwm2m.topics.update = up/update',
    'lwm2m.xml_dir = /opt/emqx/etc/lwm2m_xml',
    'lwm2m.bind.udp.1 = 0.0.0.0:5683',
    'lwm2m.opts.recbuf = 1024KB',
    'lwm2m.opts.read_packets = 20',
    'lwm2m.opts.high_msgq_watermark = 1MB',
    'lwm2m.bind.dtls.1 = 0.0.0.0:5684',
    'lwm2m.dtls.keyfile = k.pem',
    'lwm2m.dtls.certfile = c.pem',
  ].join('\n'));
  assert.equal(value.qmode_time_window, '22s');
  assert.deepEqual(value.auto_observe, ['/3/0', '/3/0/1']);
  assert.equal(value.translators.update, 'up/update');
  assert.equal(value.translators.response, 'lwm2m/%e/up/resp'); // 4.x default when absent
  assert.deepEqual(value.listeners[1].udp_options, { recbuf: '1024KB', read_packets: 20 });
  assert.deepEqual([value.listeners[1].type, value.listeners[1].dtls_options.keyfile], ['dtls', 'k.pem']);
  assert.equal(key('lwm2m.lifetime_min').class, 'defaulted');
  assert.equal(key('lwm2m.opts.high_msgq_watermark').class, 'not-mapped');
  assert.equal(key('lwm2m.opts.recbuf').target, 'gateway-lwm2m#/listeners/0/udp_options/recbuf');
  assert.equal(key('lwm2m.bind.dtls.1').location.line, 13);
  roundTrip(emqxLwm2m, value, file);
});

test('emqx_exhook: named servers get the global options', () => {
  const file = 'etc/plugins/emqx_exhook.conf';
  const { key, value } = run(emqxExhook, file, [
    'exhook.request_failed_action = ignore',
    'exhook.request_timeout = 10s',
    'exhook.auto_reconnect = false',
    'exhook.server.default.url = http://127.0.0.1:9000',
    'exhook.server.second.url = https://hooks:9001',
    'exhook.server.second.ssl.cacertfile = ca.pem',
    'exhook.server.second.socket_options.recbuf = 64KB',
  ].join('\n'));
  assert.deepEqual(value.servers.map((s: any) => [s.name, s.url, s.failed_action, s.request_timeout, s.auto_reconnect]), [
    ['default', 'http://127.0.0.1:9000', 'ignore', '10s', false],
    ['second', 'https://hooks:9001', 'ignore', '10s', false],
  ]);
  assert.equal(value.servers[1].ssl.cacertfile, 'ca.pem');
  assert.equal(value.servers[1].socket_options.recbuf, '64KB');
  assert.equal(key('exhook.server.second.url').target, 'exhook#/servers/1/url');
  assert.equal(key('exhook.request_timeout').class, 'mapped');
  roundTrip(emqxExhook, value, file);
});

test('emqx_extension_hook: every key not mapped with a reason', () => {
  const r = emqxExtensionHook.forward(parseConf('exhook.drivers = python3\nexhook.drivers.python3.path = data/extension', 'etc/plugins/emqx_extension_hook.conf').settings, { node });
  assert.equal(r.config, undefined);
  assert.deepEqual(r.keys.map((k) => [k.class, k.location.line]), [['not-mapped', 1], ['not-mapped', 2]]);
  assert.ok(r.keys.every((k) => /erlport/.test(k.reason ?? '')));
});

test('emqx_exproto: 4.4 listener with its handler; 4.2 drivers not mapped', () => {
  const file = 'etc/plugins/emqx_exproto.conf';
  const { key, value } = run(emqxExproto, file, [
    'exproto.server.http.port = 9100',
    'exproto.listener.protoname = tcp://0.0.0.0:7993',
    'exproto.listener.protoname.connection_handler_url = http://127.0.0.1:9001',
    'exproto.listener.protoname.acceptors = 8',
    'exproto.listener.protoname.access.1 = allow all',
    'exproto.listener.protoname.nodelay = true',
    'exproto.listener.protoname.idle_timeout = 60s',
    'exproto.listener.protoname.driver = python3',
  ].join('\n'));
  assert.equal(value.server.bind, '9100');
  const l = value.listeners[0];
  assert.deepEqual([l.name, l.type, l.bind, l.handler.address, l.access_rules, l.tcp_options.nodelay], ['protoname', 'tcp', '0.0.0.0:7993', 'http://127.0.0.1:9001', ['allow all'], true]);
  assert.equal(value.idle_timeout, '60s');
  assert.equal(key('exproto.listener.protoname').target, 'exproto#/listeners/0/bind');
  assert.equal(key('exproto.listener.protoname.driver').class, 'not-mapped');
  assert.equal(key('exproto.listener.protoname.access.1').target, 'exproto#/listeners/0/access_rules/0');
  roundTrip(emqxExproto, value, file);
});

test('emqx_exproto: a TLS adapter server is written back as exproto.server.https.* (property counterexample)', () => {
  const file = 'etc/plugins/emqx_exproto.conf';
  const { value } = run(emqxExproto, file, 'exproto.server.https.port = 1\nexproto.server.https.certfile = a/a.pem\nexproto.server.https.keyfile = a/a.pem');
  assert.deepEqual([value.server.bind, value.server.ssl_options.certfile], ['1', 'a/a.pem']);
  const text = renderConf(emqxExproto.reverse(structuredClone(value)));
  assert.match(text, /^exproto\.server\.https\.port = 1$/m);
  assert.doesNotMatch(text, /server\.http\.port/);
  roundTrip(emqxExproto, value, file);
});

test('emqx_exproto: listeners keep file order, integer-like names too (property counterexample)', () => {
  const file = 'etc/plugins/emqx_exproto.conf';
  const { key, value } = run(emqxExproto, file, 'exproto.listener.a = tcp://1\nexproto.listener.0 = udp://2\nexproto.listener.0.active_n = 5');
  assert.deepEqual(value.listeners.map((l: any) => [l.name, l.type, l.bind]), [['a', 'tcp', '1'], ['0', 'udp', '2']]);
  assert.equal(key('exproto.listener.0.active_n').target, 'exproto#/listeners/1/udp_options/active_n');
  roundTrip(emqxExproto, value, file);
});

test('emqx_lwm2m: DTLS options without a DTLS listener are not mapped (property counterexample)', () => {
  const { result, key, value } = run(emqxLwm2m, 'etc/plugins/emqx_lwm2m.conf', 'lwm2m.bind.udp.1 = 5683\nlwm2m.certfile = a/a.pem');
  assert.equal(value.listeners.some((l: any) => l.dtls_options), false);
  assert.deepEqual([key('lwm2m.certfile').class, key('lwm2m.certfile').target], ['not-mapped', undefined]);
  assert.match(key('lwm2m.certfile').reason ?? '', /no dtls listener/);
  assert.deepEqual(result.warnings.map((w) => w.code), ['unused-tls']);
});

test('emqx_exproto: TCP-only options of a udp/dtls listener are not mapped (property counterexample)', () => {
  const { key, value } = run(emqxExproto, 'etc/plugins/emqx_exproto.conf', [
    'exproto.listener.b2 = dtls://0.0.0.0:1',
    'exproto.listener.b2.send_timeout_close = on',
    'exproto.listener.u = udp://2',
    'exproto.listener.u.nodelay = true',
    'exproto.listener.u.active_n = 5',
  ].join('\n'));
  assert.deepEqual(value.listeners.map((l: any) => [l.name, l.tcp_options, l.udp_options]), [['b2', undefined, undefined], ['u', undefined, { active_n: 5 }]]);
  assert.deepEqual([key('exproto.listener.b2.send_timeout_close').class, key('exproto.listener.u.nodelay').class], ['not-mapped', 'not-mapped']);
  assert.equal(key('exproto.listener.u.active_n').target, 'exproto#/listeners/1/udp_options/active_n');
});

test('emqx_exproto: options of a listener name without its bind line are not mapped (4.x starts no listener)', () => {
  const { key, value } = run(emqxExproto, 'etc/plugins/emqx_exproto.conf', 'exproto.listener.a.acceptors = 4\nexproto.listener.a.idle_timeout = 5s');
  assert.deepEqual(value.listeners, [{ name: 'default', type: 'tcp', bind: '7993', enable: true, acceptors: 16, max_connections: 1024000, max_conn_rate: 1000, access_rules: [], proxy_protocol: false, proxy_protocol_timeout: '3s' }]);
  assert.equal(value.idle_timeout, '30s');
  for (const k of ['exproto.listener.a.acceptors', 'exproto.listener.a.idle_timeout']) assert.match(key(k).reason ?? '', /exproto\.listener\.a .*not set/);
});

test('emqx_exproto: one idle_timeout for the gateway; a listener with another one is reported not mapped', () => {
  const { key, value } = run(emqxExproto, 'etc/plugins/emqx_exproto.conf', [
    'exproto.listener.a = 1', 'exproto.listener.a.idle_timeout = 60s', 'exproto.listener.b = 2', 'exproto.listener.b.idle_timeout = 1m', 'exproto.listener.c = 3', 'exproto.listener.c.idle_timeout = 5s',
  ].join('\n'));
  assert.equal(value.idle_timeout, '60s');
  assert.deepEqual(['a', 'b', 'c'].map((n) => key(`exproto.listener.${n}.idle_timeout`).class), ['mapped', 'mapped', 'not-mapped']);
});

test('EE jt808_protocol module: params and listeners', () => {
  const location = { file: 'export.json', line: 1 };
  const r = emqxJt808.fromEnterprise!({
    idle_timeout: 30000, allow_anonymous: false, registray: 'http://reg/x', authentication: 'http://auth/x', up_topic: 'jt/%c/up',
    listeners: [{ listen_on: '0.0.0.0:6207', listener_type: 'tcp', acceptors: 8, nodelay: true, send_timeout: 15000 }], bogus: 1,
  }, location);
  const valid = catalog.validateModuleConfig('gateway-jt808', 1, r.config);
  assert.ok(valid.ok, JSON.stringify(valid));
  const v = valid.value as any;
  assert.equal(v.idle_timeout, '30s');
  assert.deepEqual(v.auth, { allow_anonymous: false, registry: 'http://reg/x', authentication: 'http://auth/x' });
  assert.deepEqual(v.listeners[0].tcp_options, { nodelay: true, send_timeout: '15s' });
  assert.equal(r.keys.find((k) => k.key === 'gateway-jt808.bogus')?.class, 'not-mapped');
});

test('EE mqtt_sn_protocol module: positional predefined ids and gateway_id from the listener', () => {
  const r = emqxSn.fromEnterprise!({ username: 'u', password: '', predefinded: [{ topic: 'a' }, { topic: 'b' }], listeners: [{ listen_on: '0.0.0.0:1884', listener_type: 'udp', gateway_id: 3 }] }, { file: 'x.json', line: 1 });
  const valid = catalog.validateModuleConfig('gateway-mqttsn', 1, r.config);
  assert.ok(valid.ok, JSON.stringify(valid));
  const v = valid.value as any;
  assert.deepEqual(v.predefined, [{ id: 1, topic: 'a' }, { id: 2, topic: 'b' }]);
  assert.equal(v.gateway_id, 3);
  assert.deepEqual(v.clientinfo_override, { username: 'u' });
});
