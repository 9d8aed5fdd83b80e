import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bool, duration, int, str } from '../../migrations/legacy/codecs.js';
import { defineMapping } from '../../migrations/legacy/define-mapping.js';
import type { ForwardContext } from '../../migrations/legacy/mapping.js';
import { parseConf, renderConf } from '../../src/migrator/readers/cuttlefish.js';

const ctx: ForwardContext = { node: { name: 'n1', dir: '/x', plugins: new Map(), problems: [] } };

// `presence` is a released schema: /qos, default 0. The other pointers have no schema default.
const mapping = defineMapping({
  source: 'emqx_test',
  moduleType: 'presence',
  loadedAs: ['emqx_test'],
  fields: [
    { key: 'test.qos', pointer: '/qos', codec: int, legacyDefault: '1' },
    { key: 'test.user.$id.username', pointer: '/users/$id/username', codec: str },
    { key: 'test.user.$id.password', pointer: '/users/$id/password', codec: str, secret: true },
    { key: 'test.header.$name', pointer: '/headers/$name', codec: str },
    { key: 'test.timeout', pointer: '/timeout', codec: duration, legacyDefault: '5s' },
    { key: 'test.old_timeout', pointer: '/timeout', codec: duration },
    { key: 'test.flag', pointer: '/flag', codec: bool },
  ],
  nodeLocal: [{ key: 'test.pool', pointer: '/pool', codec: int }],
  notMapped: [{ key: 'test.lua*', reason: 'Lua hooks are not supported' }],
});

const conf = [
  'test.user.10.username = ten',
  'test.user.2.username = two',
  'test.user.2.password = p2',
  'test.user.10.password = p10',
  'test.header.content-type = json',
  'test.qos = 0',
  'test.timeout = 1m30s',
  'test.pool = 8',
  'test.lua_script = x.lua',
  'test.unknown = 1',
  'test.flag = on',
].join('\n');

test('forward: $id into arrays by ascending numeric id, $name into objects, classes with lines', () => {
  const r = mapping.forward(parseConf(conf, 'etc/plugins/emqx_test.conf').settings, ctx);
  assert.deepEqual(r.config, {
    users: [{ username: 'two', password: 'p2' }, { username: 'ten', password: 'p10' }],
    headers: { 'content-type': 'json' },
    qos: 0,
    timeout: '90s',
  });
  const byKey = Object.fromEntries(r.keys.map((k) => [k.key, k]));
  assert.equal(byKey['test.user.10.username']?.target, 'presence#/users/1/username');
  assert.equal(byKey['test.user.10.username']?.location.line, 1);
  assert.equal(byKey['test.user.2.password']?.secret, true);
  assert.equal(byKey['test.user.2.password']?.class, 'mapped');
  assert.equal(byKey['test.qos']?.class, 'defaulted'); // equal to the presence schema default 0
  assert.equal(byKey['test.pool']?.class, 'node-local');
  assert.deepEqual(r.node, { '/pool': 8 });
  assert.equal(byKey['test.lua_script']?.reason, 'Lua hooks are not supported');
  assert.equal(byKey['test.unknown']?.class, 'not-mapped');
  assert.equal(byKey['test.unknown']?.reason, 'unknown key for emqx_test');
  assert.ok(r.warnings.some((w) => w.code === 'unknown-key' && w.location?.line === 10));
  // decode error: not-mapped with the codec's reason, and a warning with the location
  assert.equal(byKey['test.flag']?.class, 'not-mapped');
  assert.match(byKey['test.flag']?.reason ?? '', /true or false/);
  assert.ok(r.warnings.some((w) => w.code === 'invalid-value' && w.location?.line === 11));
});

test('forward: an absent key whose legacy default differs from the schema default gets the legacy default', () => {
  const r = mapping.forward(parseConf('test.header.a = b\n', 'f').settings, ctx);
  assert.equal(r.config?.['qos'], 1);
  assert.equal(r.config?.['timeout'], '5s'); // no schema default: the legacy one
});

test('reverse: fields order, one line per pointer, legacy default kept unless also the schema default', () => {
  const lines = mapping.reverse({ qos: 1, users: [{ username: 'a', password: 'p' }], headers: { 'x.y': 'z' }, timeout: '90s' });
  assert.deepEqual(lines, [
    { key: 'test.qos', value: '1' },
    { key: 'test.user.1.username', value: 'a' },
    { key: 'test.user.1.password', value: 'p' },
    { key: 'test.header.x\\.y', value: 'z' },
    { key: 'test.timeout', value: '90s' },
  ]);
});

test('round trip: forward(parse(render(reverse(c)))) = c', () => {
  const c = { qos: 2, users: [{ username: 'a', password: 'p' }, { username: 'b', password: 'q' }], headers: { 'x.y': 'z' }, timeout: '7s', flag: true };
  const back = mapping.forward(parseConf(renderConf(mapping.reverse(c)), 'f').settings, ctx);
  assert.deepEqual(back.config, c);
  assert.deepEqual(back.warnings, []);
});

test('keyPrefixes: settings of other prefixes are not claimed', () => {
  const m = defineMapping({ source: 'emqx.conf:x', moduleType: null, loadedAs: [], keyPrefixes: ['x.'], fields: [{ key: 'x.a', pointer: '/a', codec: int }] });
  const r = m.forward(parseConf('x.a = 1\ny.b = 2\nx.c = 3\n', 'etc/emqx.conf').settings, ctx);
  assert.deepEqual(r.keys.map((k) => [k.key, k.class, k.target]), [['x.a', 'mapped', 'settings#/a'], ['x.c', 'not-mapped', undefined]]);
  assert.deepEqual(r.settings, { '/a': 1 });
  assert.equal(r.config, undefined);
});
