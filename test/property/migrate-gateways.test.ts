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
