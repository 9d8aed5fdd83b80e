import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emqxCore } from '../../migrations/legacy/emqx-core.js';
import { unmappedPlugins } from '../../migrations/legacy/emqx-core-plugins.js';
import type { KeyOutcome } from '../../migrations/legacy/mapping.js';
import type { LegacyNode } from '../../src/migrator/legacy-node.js';
import { parseConf } from '../../src/migrator/readers/cuttlefish.js';

const node: LegacyNode = { name: 'n1', dir: '/tmp/n1', plugins: new Map(), problems: [] };

const conf = [
  'node.name = emqx@10.0.0.1', // 1
  'node.cookie = emqxsecretcookie', // 2
  'node.data_dir = /var/lib/emqx', // 3
  'allow_anonymous = true', // 4
  'acl_nomatch = allow', // 5
  'enable_acl_cache = on', // 6
  'acl_cache_max_size = 64', // 7
  'acl_cache_ttl = 90s', // 8
  'zone.external.allow_anonymous = false', // 9
  'zone.internal.allow_anonymous = true', // 10
  'listener.tcp.external = 0.0.0.0:1884', // 11
  'listener.tcp.external.acceptors = 8', // 12
  'listener.tcp.internal = 127.0.0.1:11883', // 13
  'listener.ssl.external = 8883', // 14
  'listener.ssl.external.certfile = etc/certs/cert.pem', // 15
  'listener.ssl.external.keyfile = etc/certs/key.pem', // 16
  'listener.ssl.external.verify = verify_peer', // 17
  'listener.ws.external = 8083', // 18
  'listener.ws.external.mqtt_path = /ws', // 19
  'log.level = warning', // 20
  'rpc.mode = async', // 21
  'cluster.discovery = static', // 22
  'acl_order = jwt,internal', // 23
  'zone.external.max_inflight = 32', // 24
  'no.such.key = 1', // 25
  'acl_deny_action = disconnect', // 26
  'zone.external.enable_acl = off', // 27
].join('\n');

const byKey = (keys: KeyOutcome[]): Map<string, KeyOutcome> => new Map(keys.map((k) => [k.key, k]));

describe('emqx-core mapping', () => {
  const doc = parseConf(conf, 'etc/emqx.conf');
  const result = emqxCore.forward(doc.settings, { node });
  const keys = byKey(result.keys);

  it('classifies every key exactly once, with its line', () => {
    assert.equal(result.keys.length, doc.settings.length);
    assert.equal(keys.get('rpc.mode')?.location.line, 21);
    assert.equal(keys.get('node.name')?.location.file, 'etc/emqx.conf');
  });

  it('carries policy keys to settings, zone.external winning over the global key', () => {
    assert.deepEqual(result.settings, {
      '/allow_anonymous': false,
      '/acl_nomatch': 'allow',
      '/acl_deny_action': 'disconnect',
      '/acl_cache/enable': true,
      '/acl_cache/max_size': 64,
      '/acl_cache/ttl': '90s',
    });
    assert.equal(keys.get('zone.external.allow_anonymous')?.class, 'mapped');
    assert.equal(keys.get('zone.external.allow_anonymous')?.target, 'settings#/allow_anonymous');
    assert.equal(keys.get('allow_anonymous')?.class, 'not-mapped');
    assert.match(keys.get('allow_anonymous')?.reason ?? '', /overridden by zone\.external\.allow_anonymous \(line 9\)/);
    assert.equal(keys.get('zone.internal.allow_anonymous')?.class, 'not-mapped');
    assert.equal(keys.get('acl_nomatch')?.class, 'defaulted');
    assert.equal(keys.get('acl_cache_max_size')?.class, 'mapped');
  });

  it('fills absent policy keys with the 4.x schema defaults', () => {
    const r = emqxCore.forward(parseConf('node.name = a@b\n', 'etc/emqx.conf').settings, { node });
    assert.equal(r.settings?.['/allow_anonymous'], false);
    assert.equal(r.settings?.['/acl_nomatch'], 'deny');
  });

  it('carries node-local values to the node config', () => {
    assert.deepEqual(result.node, {
      '/node/name': 'emqx@10.0.0.1',
      '/node/data_dir': '/var/lib/emqx',
      '/listeners/tcp/enable': true,
      '/listeners/tcp/port': 1884,
      '/listeners/tcp/bind': '0.0.0.0',
      '/listeners/tls/enable': true,
      '/listeners/tls/port': 8883,
      '/listeners/tls/bind': '0.0.0.0',
      '/listeners/tls/certfile': 'etc/certs/cert.pem',
      '/listeners/tls/keyfile': 'etc/certs/key.pem',
      '/listeners/tls/verify': true,
      '/listeners/ws/enable': true,
      '/listeners/ws/port': 8083,
      '/listeners/ws/bind': '0.0.0.0',
      '/listeners/ws/path': '/ws',
      '/listeners/wss/enable': false,
      '/log/level': 'warn',
    });
    assert.equal(keys.get('node.name')?.class, 'node-local');
    assert.equal(keys.get('node.name')?.target, 'node#/node/name');
    assert.equal(keys.get('listener.ws.external')?.class, 'defaulted');
  });

  it('gives a reason for everything it drops and flags secrets', () => {
    for (const k of ['node.cookie', 'listener.tcp.external.acceptors', 'listener.tcp.internal', 'rpc.mode', 'cluster.discovery', 'zone.external.max_inflight']) {
      assert.equal(keys.get(k)?.class, 'not-mapped', k);
      assert.ok((keys.get(k)?.reason ?? '').length > 10, k);
    }
    assert.equal(keys.get('node.cookie')?.secret, true);
    assert.match(keys.get('zone.external.max_inflight')?.reason ?? '', /gap/);
    assert.equal(keys.get('acl_order')?.target, 'cluster#/modules');
  });

  it('warns on unknown keys, invalid values and a disabled ACL', () => {
    assert.equal(keys.get('no.such.key')?.reason, 'unknown key for emqx.conf');
    assert.ok(result.warnings.some((w) => w.code === 'unknown-key' && w.location?.line === 25));
    assert.ok(result.warnings.some((w) => w.code === 'acl-disabled'));
    const bad = emqxCore.forward(parseConf('acl_cache_ttl = 0x\nlistener.tcp.external = host\n', 'etc/emqx.conf').settings, { node });
    assert.deepEqual(bad.keys.map((k) => k.class), ['not-mapped', 'not-mapped']);
    assert.equal(bad.warnings.filter((w) => w.code === 'invalid-value').length, 2);
  });

  it('disables a TLS listener without certificates', () => {
    const r = emqxCore.forward(parseConf('listener.ssl.external = 8883\n', 'etc/emqx.conf').settings, { node });
    assert.equal(r.node?.['/listeners/tls/enable'], false);
    assert.ok(r.warnings.some((w) => w.code === 'listener-without-certificate'));
  });
});

describe('plugins without a module', () => {
  it('maps the dashboard listener to the API address and drops the rest with a reason', () => {
    const dashboard = unmappedPlugins.find((m) => m.source === 'emqx_dashboard');
    assert.ok(dashboard);
    const doc = parseConf('dashboard.default_user.login = admin\ndashboard.default_user.password = public\ndashboard.listener.http = 18083\n', 'etc/plugins/emqx_dashboard.conf');
    const r = dashboard.forward(doc.settings, { node });
    assert.deepEqual(r.node, { '/api/port': 18083 });
    assert.deepEqual(r.keys.map((k) => k.class), ['not-mapped', 'not-mapped', 'node-local']);
    assert.equal(r.keys[1]?.secret, true);
    assert.equal(r.keys[2]?.location.line, 3);
  });
});
