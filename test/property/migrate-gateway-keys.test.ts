/**
 * Every key of a legacy emqx_lwm2m / emqx_exproto file is accounted for: exactly one outcome per key, at
 * the file and line where cuttlefish takes its value (the last occurrence), either carried into the
 * module config (its target exists there) or not mapped with a reason. Key sets mix mapped keys,
 * keys dropped on purpose, unknown keys and unreadable values, in any order, repeats included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConf, renderConf } from '../../src/migrator/readers/cuttlefish.js';
import type { LegacyMapping } from '../../migrations/legacy/mapping.js';
import { emqxLwm2m } from '../../migrations/legacy/emqx-lwm2m.js';
import { emqxExproto } from '../../migrations/legacy/emqx-exproto.js';

const node = { name: 'n1', dir: '/n1', plugins: new Map(), problems: [] };
type Line = { key: string; value: string };
type Values = fc.Arbitrary<string>;

const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const port = fc.integer({ min: 1, max: 65535 });
const bind = fc.oneof(port.map(String), fc.tuple(fc.constantFrom('0.0.0.0', '127.0.0.1', '::1'), port).map(([h, p]) => `${h}:${p}`));
const dur = fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.constantFrom('ms', 's', 'm', 'h', '')).map(([n, u]) => `${n}${u}`);
const bytes = fc.tuple(fc.integer({ min: 0, max: 4096 }), fc.constantFrom('', 'KB', 'MB', 'GB', 'kb')).map(([n, u]) => `${n}${u}`);
const int = fc.integer({ min: 0, max: 100000 }).map(String);
const file = fc.stringMatching(/^[a-z]{1,6}\/[a-z]{1,6}\.pem$/);
const words = fc.array(word, { minLength: 1, maxLength: 3 }).map((ws) => ws.join(','));
const flag = fc.constantFrom('on', 'off');
const bool = fc.constantFrom('true', 'false');
const verify = fc.constantFrom('verify_none', 'verify_peer');
/** Text no legacy codec reads as a number, duration, size, flag, bind or enum. */
const garbage = fc.constantFrom('not-a-value', 'x!y', '12zz', 'maybe');

/** A line for one of `keys` (suffix -> values); a tenth of typed values are replaced by garbage. */
function lineOf(prefix: fc.Arbitrary<string>, keys: Record<string, Values>): fc.Arbitrary<Line> {
  return fc.tuple(prefix, fc.constantFrom(...Object.keys(keys))).chain(([p, k]) =>
    fc.oneof({ weight: 9, arbitrary: keys[k]! }, { weight: 1, arbitrary: garbage }).map((value) => ({ key: k === '' ? p : `${p}.${k}`, value })),
  );
}

/** The JSON-pointer target `<type>#/a/0/b` resolved in a config; undefined when nothing is there. */
function at(config: unknown, target: string): unknown {
  const pointer = target.slice(target.indexOf('#') + 1);
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, t) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[t] : undefined), config);
}

function accountsForEveryKey(mapping: LegacyMapping, path: string, lines: fc.Arbitrary<Line[]>) {
  fc.assert(
    fc.property(lines, (ls) => {
      const doc = parseConf(renderConf(ls), path);
      assert.deepEqual(doc.problems, []);
      const result = mapping.forward(doc.settings, { node });
      const lastLine = new Map(ls.map((l, i) => [l.key, i + 1]));
      assert.deepEqual(result.keys.map((k) => k.key).sort(), [...lastLine.keys()].sort(), 'one outcome per key');
      for (const k of result.keys) {
        assert.deepEqual(k.location, { file: path, line: lastLine.get(k.key) }, k.key);
        if (k.class === 'not-mapped') {
          assert.ok(k.reason && k.reason.length > 0, `${k.key}: not mapped without a reason`);
          assert.equal(k.target, undefined, `${k.key}: not mapped but has a target`);
        } else {
          assert.ok(k.target?.startsWith(`${mapping.moduleType}#/`), `${k.key}: ${k.class} without a module target`);
          assert.notEqual(at(result.config, k.target!), undefined, `${k.key}: target ${k.target} is not in ${JSON.stringify(result.config)}`);
        }
      }
    }),
    { numRuns: 400 },
  );
}

test('emqx_lwm2m: every key is mapped or not mapped with its file and line', () => {
  const topic = fc.array(fc.oneof(word, fc.constantFrom('%e', '#')), { minLength: 1, maxLength: 3 }).map((xs) => xs.join('/'));
  const id = fc.integer({ min: 1, max: 4 }).map(String);
  const plain = lineOf(fc.constant('lwm2m'), {
    port: bind,
    lifetime_min: dur,
    lifetime_max: dur,
    qmode_time_window: int,
    auto_observe: fc.oneof(flag, fc.constantFrom('/3/0', '/3/0,/3/0/1')),
    lb: fc.constantFrom('coaproxy', 'undefined'),
    mountpoint: topic,
    'topics.command': topic,
    'topics.response': topic,
    'topics.notify': topic,
    'topics.register': topic,
    'topics.update': topic,
    update_msg_publish_condition: fc.constantFrom('contains_object_list', 'always'),
    xml_dir: file,
    'opts.buffer': bytes,
    'opts.recbuf': bytes,
    'opts.sndbuf': bytes,
    'opts.read_packets': int,
    'opts.high_msgq_watermark': bytes, // a socket option modmq does not take
    certfile: file,
    keyfile: file,
    'dtls.certfile': file,
    'dtls.keyfile': file,
    'dtls.cacertfile': file,
    'dtls.verify': verify,
    'dtls.fail_if_no_peer_cert': bool,
    'dtls.ciphers': words,
    'dtls.psk_ciphers': words,
    unknown_key: word,
  });
  const binds = fc.tuple(fc.constantFrom('lwm2m.bind.udp', 'lwm2m.bind.dtls'), id, fc.oneof({ weight: 9, arbitrary: bind }, { weight: 1, arbitrary: garbage }))
    .map(([k, n, value]) => ({ key: `${k}.${n}`, value }));
  accountsForEveryKey(emqxLwm2m, 'etc/plugins/emqx_lwm2m.conf', fc.array(fc.oneof(plain, binds), { maxLength: 14 }));
});

test('emqx_exproto: every key is mapped or not mapped with its file and line (several listeners)', () => {
  const scheme = fc.tuple(fc.constantFrom('tcp://', 'ssl://', 'udp://', 'dtls://', ''), bind).map(([s, b]) => `${s}${b}`);
  const server = lineOf(fc.constant('exproto.server'), {
    'http.port': bind,
    'https.port': bind,
    'https.certfile': file,
    'https.keyfile': file,
    'https.cacertfile': file,
  });
  const listener = lineOf(fc.constantFrom('exproto.listener.a', 'exproto.listener.b2', 'exproto.listener.0'), {
    '': scheme,
    connection_handler_url: port.map((p) => `http://127.0.0.1:${p}`),
    connection_handler_certfile: file,
    connection_handler_cacertfile: file,
    connection_handler_keyfile: file,
    acceptors: int,
    max_connections: int,
    max_conn_rate: int,
    idle_timeout: dur,
    'access.1': fc.constantFrom('allow all', 'deny 10.0.0.0/8'),
    'access.2': fc.constantFrom('allow all', 'deny all'),
    proxy_protocol: flag,
    proxy_protocol_timeout: dur,
    active_n: int,
    backlog: int,
    send_timeout: dur,
    send_timeout_close: flag,
    recbuf: bytes,
    sndbuf: bytes,
    buffer: bytes,
    tune_buffer: flag,
    nodelay: bool,
    reuseaddr: bool,
    tls_versions: fc.constantFrom('tlsv1.2', 'tlsv1.3,tlsv1.2', 'dtlsv1.2'),
    ciphers: words,
    psk_ciphers: words,
    dhfile: file,
    keyfile: file,
    certfile: file,
    cacertfile: file,
    verify,
    fail_if_no_peer_cert: bool,
    secure_renegotiate: flag,
    reuse_sessions: flag,
    honor_cipher_order: flag,
    driver: fc.constantFrom('python3', 'java'),
    driver_search_path: file,
    driver_callback_module: word,
    unknown_option: word,
  });
  accountsForEveryKey(emqxExproto, 'etc/plugins/emqx_exproto.conf', fc.array(fc.oneof(server, listener, listener), { maxLength: 16 }));
});
