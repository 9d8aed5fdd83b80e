/** The env-file reader and the EMQX_* overlay on a node's files (legacy-formats.md §2.6). */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pluginOwningKey } from '../../src/migrator/readers/conf-owner.js';
import { parseEnvFile } from '../../src/migrator/readers/env-file.js';
import { envKey } from '../../src/migrator/readers/env-overlay.js';
import { readLegacyNode } from '../../src/migrator/readers/node-tree.js';

test('parseEnvFile: comments, blank lines, export, quotes, escapes, CRLF, a # inside values', () => {
  const text = [
    '# compose .env',
    '',
    'EMQX_A=plain value ',
    'export EMQX_B = "dq \\"x\\" \\\\ \\n end"  # trailing comment',
    "EMQX_C='single # kept \\n'",
    'EMQX_D=pass#word',
    'EMQX_E=',
    'EMQX_F=""\r',
    '   # indented comment',
  ].join('\n');
  const env = parseEnvFile(text, 'my.env');
  assert.deepEqual(env.problems, []);
  assert.deepEqual(env.vars.map((v) => [v.name, v.value, v.location.line]), [
    ['EMQX_A', 'plain value', 3],
    ['EMQX_B', 'dq "x" \\ \n end', 4],
    ['EMQX_C', 'single # kept \\n', 5],
    ['EMQX_D', 'pass#word', 6],
    ['EMQX_E', '', 7],
    ['EMQX_F', '', 8],
  ]);
  assert.ok(env.vars.every((v) => v.location.file === 'my.env'));
});

test('parseEnvFile: each broken line is an env-syntax problem with file and line; the other lines are kept', () => {
  const text = ['EMQX_OK=1', 'NO_EQUALS_SIGN', '9BAD=x', 'EMQX_Q="never closed', "EMQX_R='x' tail", 'just words here', 'EMQX_LAST=2'].join('\n');
  const env = parseEnvFile(text, 'etc.env');
  assert.deepEqual(env.vars.map((v) => [v.name, v.value, v.location.line]), [['EMQX_OK', '1', 1], ['EMQX_LAST', '2', 7]]);
  assert.deepEqual(env.problems.map((p) => [p.code, p.location.file, p.location.line]), [
    ['env-syntax', 'etc.env', 2], ['env-syntax', 'etc.env', 3], ['env-syntax', 'etc.env', 4], ['env-syntax', 'etc.env', 5], ['env-syntax', 'etc.env', 6],
  ]);
  assert.match(env.problems[0]!.message, /^NO_EQUALS_SIGN has no '=VALUE'.*host environment/);
  assert.match(env.problems[1]!.message, /'9BAD' is not a variable name/);
  assert.match(env.problems[2]!.message, /EMQX_Q: the value opens " and never closes it/);
  assert.match(env.problems[3]!.message, /unexpected text after the closing ': 'tail'/);
});

test('envKey: strip EMQX_, __ -> ., lower-case; an empty level names nothing', () => {
  assert.equal(envKey('EMQX_LISTENER__TCP__EXTERNAL'), 'listener.tcp.external');
  assert.equal(envKey('EMQX_AUTH__MYSQL__PASSWORD_HASH'), 'auth.mysql.password_hash');
  assert.equal(envKey('EMQX_ALLOW_ANONYMOUS'), 'allow_anonymous');
  assert.equal(envKey('EMQX_A____B'), undefined);
  assert.equal(envKey('EMQX_'), undefined);
});

test('pluginOwningKey: plugin prefixes, an existing conf file decides shared prefixes, else emqx.conf', () => {
  const none = { plugins: new Map() };
  assert.equal(pluginOwningKey('auth.mysql.server', none), 'emqx_auth_mysql');
  assert.equal(pluginOwningKey('mqtt.sn.port', none), 'emqx_sn');
  assert.equal(pluginOwningKey('mqtt.max_packet_size', none), undefined);
  assert.equal(pluginOwningKey('auth.user.1.username', none), 'emqx_auth_mnesia');
  const old = { plugins: new Map([['emqx_auth_username', { file: 'etc/plugins/emqx_auth_username.conf', settings: [], problems: [] }]]) };
  assert.equal(pluginOwningKey('auth.user.1.username', old), 'emqx_auth_username');
});

async function nodeDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'me-node-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}

test('readLegacyNode with an env file: env > file in emqx.conf and plugin confs, new keys join the owning file', async () => {
  const dir = await nodeDir({
    'etc/emqx.conf': 'listener.tcp.external = 0.0.0.0:1883\nlistener.ws.external.mqtt_path = /mqtt\nlog.formatter = text\n',
    'etc/plugins/emqx_auth_mysql.conf': 'auth.mysql.server = 127.0.0.1:3306\nauth.mysql.server = 10.0.0.1:3306\n',
    'data/loaded_plugins': '{emqx_dashboard, true}.\n{emqx_auth_mysql, false}.\n',
    'data/loaded_modules': '{emqx_mod_presence, true}.\n',
    'emqx.env': [
      'EMQX_LISTENER__TCP__EXTERNAL=0.0.0.0:11883', 'EMQX_AUTH__MYSQL__SERVER=mysql:3306', 'EMQX_WEB__HOOK__URL=http://hook',
      'EMQX_LISTENER__WS__EXTERNAL__MQTT_PATH=', 'EMQX_LOADED_PLUGINS="emqx_auth_mysql emqx_web_hook"', 'EMQX_LOADED_MODULES=emqx_mod_rewrite',
      'HOME=/root', 'EMQX_NAME=emqx', 'EMQX_NODE_NAME=emqx@a', 'EMQX_NODE__NAME=emqx@b', 'broken line',
    ].join('\n'),
  });
  try {
    const node = await readLegacyNode(dir, { env: { path: join(dir, 'emqx.env'), shownAs: 'ignored when inside' } });
    assert.equal(node.env?.file, 'emqx.env');
    const tcp = node.emqxConf?.settings.find((s) => s.key === 'listener.tcp.external');
    assert.deepEqual(tcp, { key: 'listener.tcp.external', path: ['listener', 'tcp', 'external'], value: '0.0.0.0:11883', location: { file: 'emqx.env', line: 1 }, overridden: [{ file: 'etc/emqx.conf', line: 1 }] });
    assert.equal(node.emqxConf?.settings.some((s) => s.key === 'listener.ws.external.mqtt_path'), false, 'an empty value removes the key');
    // EMQX_NODE_NAME wins over EMQX_NODE__NAME (4.4 Docker entrypoint), and no file had node.name: it joins emqx.conf.
    assert.deepEqual(node.emqxConf?.settings.find((s) => s.key === 'node.name')?.location, { file: 'emqx.env', line: 9 });
    assert.equal(node.emqxConf?.settings.find((s) => s.key === 'node.name')?.value, 'emqx@a');
    const mysql = node.plugins.get('emqx_auth_mysql')?.settings;
    assert.deepEqual(mysql?.map((s) => [s.value, s.location.line, s.overridden?.map((o) => o.line)]), [['mysql:3306', 2, [1, 2]]]);
    assert.deepEqual(node.plugins.get('emqx_web_hook'), {
      file: 'etc/plugins/emqx_web_hook.conf', problems: [],
      settings: [{ key: 'web.hook.url', path: ['web', 'hook', 'url'], value: 'http://hook', location: { file: 'emqx.env', line: 3 } }],
    });
    assert.deepEqual(node.loadedPlugins?.map((e) => [e.name, e.enabled, `${e.location.file}:${e.location.line}`]), [
      ['emqx_dashboard', true, 'data/loaded_plugins:1'], ['emqx_auth_mysql', true, 'emqx.env:5'], ['emqx_web_hook', true, 'emqx.env:5'],
    ]);
    assert.deepEqual(node.loadedModules?.map((e) => [e.name, e.enabled]), [['emqx_mod_presence', true], ['emqx_mod_rewrite', true]]);
    assert.deepEqual(node.env?.notes.map((n) => [n.code, n.location.line]).sort(), [
      ['env-ignored', 10], ['env-ignored', 7], ['env-ignored', 8],
      ['env-loaded', 5], ['env-loaded', 5], ['env-loaded', 6], ['env-unset', 4],
    ]);
    assert.match(node.env?.notes.find((n) => n.code === 'env-unset')?.message ?? '', /removes listener\.ws\.external\.mqtt_path \(etc\/emqx\.conf:2\)/);
    assert.deepEqual(node.problems.map((p) => [p.code, p.location.file, p.location.line]), [['env-syntax', 'emqx.env', 11]]);
    assert.equal(node.version, '4.3');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readLegacyNode: an env file outside the node directory is named as given; an unreadable one is a problem', async () => {
  const dir = await nodeDir({ 'etc/emqx.conf': 'allow_anonymous = true\n' });
  const outside = await nodeDir({ 'node.env': 'EMQX_ALLOW_ANONYMOUS=false\n' });
  try {
    const node = await readLegacyNode(dir, { env: { path: join(outside, 'node.env'), shownAs: 'envs/node.env' } });
    assert.deepEqual(node.emqxConf?.settings.map((s) => [s.value, s.location.file, s.location.line]), [['false', 'envs/node.env', 1]]);
    const missing = await readLegacyNode(dir, { env: { path: join(outside, 'gone.env'), shownAs: 'envs/gone.env' } });
    assert.deepEqual(missing.problems.map((p) => [p.code, p.location.file]), [['file-unreadable', 'envs/gone.env']]);
    assert.equal(missing.emqxConf?.settings[0]?.value, 'true', 'the files are still read');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  }
});
