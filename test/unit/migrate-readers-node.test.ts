import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseEeExport } from '../../src/migrator/readers/ee-export.js';
import { readLegacyNode } from '../../src/migrator/readers/node-tree.js';

async function nodeDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mr-node-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}

test('readLegacyNode reads every file, follows acl_file and psk.file.path, detects 4.4', async () => {
  const dir = await nodeDir({
    'etc/emqx.conf': 'node.name = emqx@127.0.0.1\nacl_file = {{ platform_etc_dir }}/my-acl.conf\nmodule.slow_subs.threshold = 500ms\nbad line\n',
    'etc/plugins/emqx_auth_mysql.conf': 'auth.mysql.server = 127.0.0.1:3306\n',
    'etc/plugins/emqx_psk_file.conf': 'psk.file.path = etc/keys.txt\npsk.file.delimiter = |\n',
    'etc/keys.txt': 'id|secret\n',
    'etc/my-acl.conf': '{allow, all}.\n',
    'data/loaded_plugins': '{emqx_auth_mysql, true}.\nemqx_dashboard.\n',
    'data/loaded_modules': '{emqx_mod_presence, true}.\n',
  });
  try {
    const node = await readLegacyNode(dir);
    assert.equal(node.version, '4.4');
    assert.deepEqual([...node.plugins.keys()], ['emqx_auth_mysql', 'emqx_psk_file']);
    assert.equal(node.emqxConf?.settings.length, 3);
    assert.deepEqual(node.loadedPlugins?.map((e) => [e.name, e.enabled]), [['emqx_auth_mysql', true], ['emqx_dashboard', true]]);
    assert.deepEqual(node.loadedModules?.map((e) => e.name), ['emqx_mod_presence']);
    assert.equal(node.acl?.file, 'etc/my-acl.conf');
    assert.equal(node.acl?.rules.length, 1);
    assert.deepEqual(node.psk, { file: 'etc/keys.txt', entries: [{ identity: 'id', secret: 'secret', location: { file: 'etc/keys.txt', line: 1 } }] });
    assert.deepEqual(node.problems.map((p) => [p.code, p.location.file, p.location.line]), [['conf-syntax', 'etc/emqx.conf', 4]]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('version detection: 4.0 switches, 4.2 rewrite keys with username plugin, given version wins', async () => {
  const v40 = await nodeDir({ 'etc/emqx.conf': 'module.presence = on\n' });
  const v42 = await nodeDir({ 'etc/emqx.conf': 'module.rewrite.pub.rule.1 = a ^a b\n', 'etc/plugins/emqx_auth_username.conf': 'auth.user.1.username = a\n' });
  try {
    assert.equal((await readLegacyNode(v40)).version, '4.0');
    assert.equal((await readLegacyNode(v42)).version, '4.2');
    assert.equal((await readLegacyNode(v42, { version: '4.3.5' })).version, '4.3.5');
  } finally {
    await rm(v40, { recursive: true, force: true });
    await rm(v42, { recursive: true, force: true });
  }
});

test('an acl_file outside the node dir falls back to etc/acl.conf with a problem; a missing dir throws', async () => {
  const dir = await nodeDir({ 'etc/emqx.conf': 'acl_file = /etc/emqx/acl.conf\n', 'etc/acl.conf': '{deny, all}.\n' });
  try {
    const node = await readLegacyNode(dir);
    assert.equal(node.acl?.rules[0]?.permission, 'deny');
    assert.deepEqual(node.problems.map((p) => [p.code, p.location.line]), [['path-outside-node', 1]]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await assert.rejects(readLegacyNode(join(tmpdir(), 'mr-does-not-exist-xyz')), /not found/);
});

test('EE data export: modules with all created_at shapes, auth_mnesia, acl_mnesia, configs, lines', () => {
  const text = JSON.stringify(
    {
      version: '4.4',
      modules: [
        { id: 'module:1', type: 'presence', config: { qos: 0 }, enabled: true, created_at: 'undefined', description: '' },
        { id: 'module:2', type: 'retainer', config: {}, enabled: false, created_at: 1653365372585, description: { en: 'Retainer', zh: 'x' } },
        { id: 'module:3', type: 'recon', config: {}, enabled: true, created_at: { created_at_ns: 1729517190110094426, updated_at_ns: 1 } },
        { type: 'broken' },
      ],
      auth_mnesia: [{ login: 'u', type: 'username', password: 'h', created_at: 1 }],
      acl_mnesia: [{ type: 'clientid', type_value: 'c', topic: 't/1', action: 'pub', access: 'allow' }],
      configs: [{ name: 'emqx', confs: { acl_nomatch: 'deny' } }],
      apps: [],
    },
    null,
    1,
  );
  const r = parseEeExport(text, 'backup.json');
  assert.deepEqual(r.modules.map((m) => [m.type, m.enabled, m.createdAt, m.description]), [
    ['presence', true, undefined, ''],
    ['retainer', false, 1653365372585, 'Retainer'],
    ['recon', true, 1729517190110],
  ].map((x) => (x.length === 3 ? [...x, ''] : x)));
  assert.equal(r.modules[0]?.location.line, 4);
  assert.deepEqual(r.problems.map((p) => p.code), ['ee-invalid-entry']);
  assert.deepEqual(r.authMnesia.map((u) => [u.login, u.type]), [['u', 'username']]);
  assert.deepEqual(r.aclMnesia.map((a) => [a.typeValue, a.topic, a.action]), [['c', 't/1', 'pub']]);
  assert.deepEqual(r.configs[0]?.confs, { acl_nomatch: 'deny' });
  assert.deepEqual(r.other, { apps: [] });
  assert.deepEqual(parseEeExport('{"modules": [', 'x').problems.map((p) => p.code).includes('ee-json'), true);
});
