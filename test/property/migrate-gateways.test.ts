import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConf, renderConf } from '../../src/migrator/readers/cuttlefish.js';
import { createSchemaCatalog } from '../../src/schema/index.js';
import type { LegacyMapping } from '../../migrations/legacy/mapping.js';
import { emqxSn } from '../../migrations/legacy/emqx-sn.js';
import { emqxStomp } from '../../migrations/legacy/emqx-stomp.js';
import { emqxExhook } from '../../migrations/legacy/emqx-exhook.js';
import { emqxCoap, COAP_LEGACY_BEHAVIOUR } from '../../migrations/legacy/emqx-coap.js';
import { emqxLwm2m } from '../../migrations/legacy/emqx-lwm2m.js';
import { emqxExproto } from '../../migrations/legacy/emqx-exproto.js';

const catalog = await createSchemaCatalog();
const node = { name: 'n1', dir: '/n1', plugins: new Map(), problems: [] };
const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const topic = fc.stringMatching(/^[a-z0-9]{1,6}(\/[a-z0-9]{1,6}){0,3}$/);
const dur = fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.constantFrom('ms', 's', 'm', 'h')).map(([n, u]) => `${n}${u}`);
const port = fc.integer({ min: 1, max: 65535 });
const bind = fc.oneof(port.map(String), fc.tuple(fc.constantFrom('0.0.0.0', '127.0.0.1', '[::1]'), port).map(([h, p]) => `${h}:${p}`));
const file = fc.stringMatching(/^[a-z]{1,6}\/[a-z]{1,6}\.pem$/);

function law(mapping: LegacyMapping, arb: fc.Arbitrary<Record<string, unknown>>) {
  fc.assert(
    fc.property(arb, (config) => {
      const want = catalog.validateModuleConfig(mapping.moduleType!, 1, config);
      assert.ok(want.ok, JSON.stringify(want));
      const text = renderConf(mapping.reverse(structuredClone(want.value as Record<string, unknown>)));
      const back = mapping.forward(parseConf(text, 'etc/plugins/x.conf').settings, { node });
      assert.deepEqual(back.warnings, []);
      const got = catalog.validateModuleConfig(mapping.moduleType!, 1, back.config ?? {});
      assert.ok(got.ok, JSON.stringify(got));
      assert.deepEqual(got.value, want.value);
    }),
    { numRuns: 150 },
  );
}

test('emqx_sn: forward(parse(render(reverse(c)))) = c', () => {
  const ids = fc.uniqueArray(fc.integer({ min: 1, max: 65534 }), { maxLength: 4 });
  law(emqxSn, fc.record({
    listeners: bind.map((b) => [{ name: 'default', type: 'udp', bind: b }]),
    gateway_id: fc.integer({ min: 0, max: 255 }),
    advertise_duration: dur,
    enable_qos3: fc.boolean(),
    enable_stats: fc.boolean(),
    subs_resume: fc.boolean(),
    idle_timeout: dur,
    predefined: fc.tuple(ids, topic).map(([xs, t]) => xs.sort((a, b) => a - b).map((id) => ({ id, topic: `${t}/${id}` }))),
    clientinfo_override: fc.record({ username: word, password: word }, { requiredKeys: [] }),
  }));
});

test('emqx_stomp: forward(parse(render(reverse(c)))) = c', () => {
  const tls = fc.record({ certfile: file, keyfile: file, verify: fc.constantFrom('verify_none', 'verify_peer'), versions: fc.constantFrom(['tlsv1.2'], ['tlsv1.3', 'tlsv1.2']) });
  const listener = fc.oneof(
    fc.record({ name: fc.constant('default'), type: fc.constant('tcp'), bind, acceptors: fc.integer({ min: 1, max: 64 }), max_connections: fc.integer({ min: 1, max: 1e6 }) }),
    fc.record({ name: fc.constant('default'), type: fc.constant('ssl'), bind, acceptors: fc.integer({ min: 1, max: 64 }), max_connections: fc.integer({ min: 1, max: 1e6 }), ssl_options: tls }),
  );
  law(emqxStomp, fc.record({
    listeners: listener.map((l) => [l]),
    allow_anonymous: fc.boolean(),
    default_user: fc.record({ login: word, passcode: word }),
    frame: fc.record({ max_headers: fc.integer({ min: 1, max: 100 }), max_header_length: fc.integer({ min: 1, max: 1e5 }), max_body_length: fc.integer({ min: 1, max: 1e7 }) }),
  }));
});

test('emqx_exhook: forward(parse(render(reverse(c)))) = c (global options shared by all servers)', () => {
  const globals = fc.record({ request_timeout: dur, failed_action: fc.constantFrom('deny', 'ignore'), auto_reconnect: fc.oneof(fc.constant(false as const), dur), pool_size: fc.integer({ min: 1, max: 64 }) });
  const server = fc.record({ url: fc.tuple(fc.constantFrom('http', 'https'), port).map(([s, p]) => `${s}://hooks.local:${p}`), socket_options: fc.record({ keepalive: fc.boolean(), nodelay: fc.boolean() }) });
  law(emqxExhook, fc.tuple(globals, fc.uniqueArray(word, { maxLength: 3 }), server).map(([g, names, s]) => ({
    servers: names.map((name) => ({ name, ...g, ...s })),
    hook_priority: 0,
  })));
});

test('emqx_coap: forward(parse(render(reverse(c)))) = c (one dtls block for all dtls listeners)', () => {
  const dtls = fc.record({ certfile: file, keyfile: file, verify: fc.constantFrom('verify_none', 'verify_peer'), ciphers: fc.array(word, { minLength: 1, maxLength: 3 }) });
  law(emqxCoap, fc.tuple(fc.array(bind, { minLength: 1, maxLength: 3 }), fc.array(bind, { maxLength: 2 }), dtls, fc.boolean()).map(([udp, dt, opts, stats]) => ({
    listeners: [
      ...udp.map((b, i) => ({ name: i === 0 ? 'default' : `udp_${i + 1}`, type: 'udp', bind: b })),
      ...dt.map((b, i) => ({ name: i === 0 ? 'default' : `dtls_${i + 1}`, type: 'dtls', bind: b, dtls_options: opts })),
    ],
    enable_stats: stats,
    ...COAP_LEGACY_BEHAVIOUR,
  })));
});

const bytes = fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.constantFrom('B', 'KB', 'MB', 'GB')).map(([n, u]) => `${n}${u}`);
const path = fc.stringMatching(/^\/?[a-z][a-z0-9_]{0,6}(\/[a-z0-9_.-]{1,8}){0,3}$/);
// an empty options object has no legacy line: generate options objects with at least one key
const some = <T extends object>(arb: fc.Arbitrary<T>) => arb.filter((o) => Object.keys(o).length > 0);
const template = fc.array(fc.oneof(word, fc.constantFrom('%e', '%a', '#', '+')), { minLength: 1, maxLength: 4 }).map((ls) => ls.join('/'));

test('emqx_lwm2m: forward(parse(render(reverse(c)))) = c (opts on every listener, one dtls block)', () => {
  // 4.x has one `lwm2m.opts.*` set for all listeners and one `lwm2m.dtls.*` block for all DTLS ones
  const opts = fc.record({ buffer: bytes, recbuf: bytes, sndbuf: bytes, read_packets: fc.integer({ min: 1, max: 1000 }) }, { requiredKeys: [] });
  const dtls = fc.record(
    { certfile: file, keyfile: file, cacertfile: file, verify: fc.constantFrom('verify_none', 'verify_peer'), fail_if_no_peer_cert: fc.boolean(), ciphers: fc.array(word, { minLength: 1, maxLength: 3 }), psk_ciphers: fc.array(word, { minLength: 1, maxLength: 3 }) },
    { requiredKeys: ['certfile', 'keyfile'] },
  );
  const seconds = fc.integer({ min: 0, max: 1e6 }).map((n) => `${n}s`); // qmode_time_window is bare seconds in 4.x
  const objectPath = fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 3 }).map((xs) => xs.map((x) => `/${x}`).join(''));
  const listeners = fc.tuple(fc.array(bind, { maxLength: 3 }), fc.array(bind, { maxLength: 3 }), opts, dtls)
    .filter(([udp, dt]) => udp.length + dt.length > 0)
    .map(([udp, dt, o, d]) => [
      ...udp.map((b, i) => ({ name: i === 0 ? 'default' : `udp_${i + 1}`, type: 'udp', bind: b, udp_options: o })),
      ...dt.map((b, i) => ({ name: i === 0 ? 'default' : `dtls_${i + 1}`, type: 'dtls', bind: b, udp_options: o, dtls_options: d })),
    ].map((l) => (Object.keys(o).length ? l : (({ udp_options: _, ...rest }) => rest)(l))));
  law(emqxLwm2m, fc.record({
    listeners,
    xml_dir: path,
    lifetime_min: dur,
    lifetime_max: dur,
    qmode_time_window: seconds,
    auto_observe: fc.oneof(fc.boolean(), fc.array(objectPath, { minLength: 1, maxLength: 3 })),
    update_msg_publish_condition: fc.constantFrom('contains_object_list', 'always'),
    translators: fc.record({ command: template, response: template, notify: template, register: template, update: template }, { requiredKeys: [] }),
    behind_coaproxy: fc.boolean(),
    mountpoint: fc.oneof(fc.constant(''), template.map((t) => `${t}/`)),
  }, { requiredKeys: [] }));
});

test('emqx_exproto: forward(parse(render(reverse(c)))) = c (named listeners of every type, adapter server)', () => {
  const tls = fc.record(
    { certfile: file, keyfile: file, cacertfile: file, dhfile: file, verify: fc.constantFrom('verify_none', 'verify_peer'), fail_if_no_peer_cert: fc.boolean(), ciphers: fc.array(word, { minLength: 1, maxLength: 3 }), psk_ciphers: fc.array(word, { minLength: 1, maxLength: 2 }), secure_renegotiate: fc.boolean(), reuse_sessions: fc.boolean(), honor_cipher_order: fc.boolean() },
    { requiredKeys: ['certfile', 'keyfile'] },
  );
  const versions = (vs: string[]) => fc.uniqueArray(fc.constantFrom(...vs), { minLength: 1, maxLength: vs.length });
  const tcpOptions = some(fc.record({ active_n: fc.integer({ min: 1, max: 1000 }), backlog: fc.integer({ min: 1, max: 65535 }), send_timeout: dur, send_timeout_close: fc.boolean(), nodelay: fc.boolean(), reuseaddr: fc.boolean(), recbuf: bytes, sndbuf: bytes, buffer: bytes }, { requiredKeys: [] }));
  const udpOptions = some(fc.record({ active_n: fc.integer({ min: 1, max: 1000 }), reuseaddr: fc.boolean(), recbuf: bytes, sndbuf: bytes, buffer: bytes }, { requiredKeys: [] }));
  const handler = fc.record({
    address: fc.tuple(fc.constantFrom('http', 'https'), port).map(([s, p]) => `${s}://handler.local:${p}`),
    ssl_options: some(fc.record({ certfile: file, cacertfile: file, keyfile: file }, { requiredKeys: [] })),
  }, { requiredKeys: ['address'] });
  const common = {
    handler,
    acceptors: fc.integer({ min: 1, max: 64 }),
    max_connections: fc.integer({ min: 1, max: 1e6 }),
    max_conn_rate: fc.integer({ min: 0, max: 1e5 }),
    access_rules: fc.array(fc.tuple(fc.constantFrom('allow', 'deny'), fc.constantFrom('all', '10.0.0.0/8', '127.0.0.1')).map(([a, w]) => `${a} ${w}`), { maxLength: 3 }),
    proxy_protocol: fc.boolean(),
    proxy_protocol_timeout: dur,
  };
  const body = fc.oneof(
    fc.record({ type: fc.constant('tcp'), bind, ...common, tcp_options: tcpOptions }, { requiredKeys: ['type', 'bind'] }),
    fc.record({ type: fc.constant('ssl'), bind, ...common, tcp_options: tcpOptions, ssl_options: fc.tuple(tls, versions(['tlsv1.3', 'tlsv1.2', 'tlsv1.1', 'tlsv1'])).map(([t, v]) => ({ ...t, versions: v })) }, { requiredKeys: ['type', 'bind', 'ssl_options'] }),
    fc.record({ type: fc.constant('udp'), bind, ...common, udp_options: udpOptions }, { requiredKeys: ['type', 'bind'] }),
    fc.record({ type: fc.constant('dtls'), bind, ...common, udp_options: udpOptions, dtls_options: fc.tuple(tls, versions(['dtlsv1.2', 'dtlsv1'])).map(([t, v]) => ({ ...t, versions: v })) }, { requiredKeys: ['type', 'bind', 'dtls_options'] }),
  );
  // 4.x names a listener by its key (`exproto.listener.<name>`), so names are unique across types
  const names = fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), { minLength: 1, maxLength: 3 });
  const listeners = names.chain((ns) => fc.tuple(...ns.map(() => body)).map((bs) => bs.map((b, i) => ({ name: ns[i]!, ...b }))));
  // the adapter server: plain `http.port`, or (4.x: without http.port) `https.port` + its files
  const server = fc.oneof(
    fc.record({ bind }),
    fc.record({ bind, ssl_options: fc.record({ certfile: file, keyfile: file, cacertfile: file }, { requiredKeys: ['certfile', 'keyfile'] }) }),
  );
  law(emqxExproto, fc.record({ server, listeners, idle_timeout: dur }, { requiredKeys: [] }));
});
