/**
 * `modmq migrate --env NODE_DIR=FILE`: a node's EMQX_* environment over its files, end to end on
 * legacy-fixtures/4.3-docker-env (written outputs and report lines with the env file and line).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/program.js';
import type { MigrationReport } from '../../src/migrator/report.js';
import { parseHoconText } from '../../src/node/hocon.js';
import { captureIo } from '../helpers/capture-io.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../legacy-fixtures/4.3-docker-env');
const temp = await mkdtemp(path.join(tmpdir(), 'modmq-migrate-env-'));
after(() => rm(temp, { recursive: true, force: true }));
const envArgs = ['--env', 'emqx-a=emqx-a/emqx.env', '--env', 'emqx-b=env/emqx-b.env'];

interface Written {
  code: number;
  errors: string[];
  cluster: { modules: Array<{ id: string; enabled: boolean; config: Record<string, unknown> }>; settings: Record<string, unknown> };
  report: MigrationReport;
}

async function migrate(cwd: string, args: string[], out: string): Promise<Written> {
  const io = captureIo(cwd);
  const code = await runCli(['migrate', ...args, '--out', out], io);
  const read = async (f: string) => JSON.parse(await readFile(path.join(out, f), 'utf8').catch(() => 'null'));
  return { code, errors: io.errors, cluster: await read('cluster.json'), report: await read('report.json') };
}

describe('migrate --env', () => {
  it('env values win over the files, EMQX_LOADED_PLUGINS loads plugins, the report names the env line and the replaced file line', async () => {
    const out = path.join(temp, 'prefer');
    const { code, errors, cluster, report } = await migrate(fixture, ['emqx-a', 'emqx-b', ...envArgs, '--prefer', 'emqx-a'], out);
    assert.equal(code, 0, errors.join('\n'));
    const mysql = cluster.modules.find((m) => m.id === 'auth-mysql');
    assert.equal(mysql?.enabled, true, 'data/loaded_plugins says false, EMQX_LOADED_PLUGINS loads it');
    assert.equal(mysql?.config['server'], 'mysql:3306');
    assert.equal(mysql?.config['password'], 's3cret#1');
    assert.equal(mysql?.config['database'], 'mqtt');
    const retainer = cluster.modules.find((m) => m.id === 'retainer');
    assert.equal(retainer?.enabled, true, 'emqx_retainer is not listed in data/loaded_plugins: only the env loads it');
    assert.equal(retainer?.config['max_retained_messages'], 1000);
    assert.equal(cluster.settings['allow_anonymous'], false);
    const nodeA = (await parseHoconText(await readFile(path.join(out, 'nodes/emqx-a.conf'), 'utf8'), 'emqx-a.conf')) as { node: { name: string }; listeners: { tcp: { port: number }; ws: Record<string, unknown> } };
    assert.equal(nodeA.node.name, 'emqx@emqx-a');
    assert.equal(nodeA.listeners.tcp.port, 11883);
    assert.equal(nodeA.listeners.ws['path'], undefined, 'the empty EMQX_LISTENER__WS__EXTERNAL__MQTT_PATH removed the file value');

    const key = (node: string, name: string) => report.keys.filter((k) => k.node === node && k.key === name);
    assert.deepEqual(key('emqx-a', 'auth.mysql.server'), [{
      node: 'emqx-a', file: 'emqx.env', line: 6, key: 'auth.mysql.server', class: 'mapped', target: 'auth-mysql#/server',
      source: 'env', overrides: [{ file: 'etc/plugins/emqx_auth_mysql.conf', line: 1 }],
    }]);
    assert.deepEqual(key('emqx-b', 'listener.tcp.external'), [{
      node: 'emqx-b', file: 'env/emqx-b.env', line: 3, key: 'listener.tcp.external', class: 'node-local', target: 'node#/listeners/tcp/port',
      source: 'env', overrides: [{ file: 'etc/emqx.conf', line: 13 }],
    }]);
    assert.deepEqual(key('emqx-a', 'auth.mysql.database').map((k) => [k.file, k.line, k.source, k.overrides]), [['emqx.env', 8, 'env', undefined]]);
    assert.deepEqual(key('emqx-a', 'mqtt.max_packet_size').map((k) => [k.file, k.line, k.class]), [['emqx.env', 13, 'not-mapped']]);
    const messages = report.warnings.map((w) => `[${w.code}] ${w.message} (${w.nodes.join(', ')})`);
    assert.ok(messages.includes('[env-loaded] emqx.env:10: EMQX_LOADED_PLUGINS loads emqx_retainer (not listed in data/loaded_plugins) (emqx-a)'), messages.join('\n'));
    assert.ok(messages.includes('[env-loaded] env/emqx-b.env:8: EMQX_LOADED_PLUGINS loads emqx_auth_mysql (data/loaded_plugins:3 had it false) (emqx-b)'));
    assert.ok(messages.includes('[env-ignored] emqx.env:14: TZ is not an EMQX_* variable: ignored (emqx-a)'));
    const md = await readFile(path.join(out, 'report.md'), 'utf8');
    assert.ok(md.includes('| emqx-a | emqx.env:6 | auth.mysql.server | mapped | etc/plugins/emqx_auth_mysql.conf:1 |'), md);
  });

  it('env values that differ between nodes are a conflict naming each env file and line', async () => {
    const { code, errors, report } = await migrate(fixture, ['emqx-a', 'emqx-b', ...envArgs], path.join(temp, 'strict'));
    assert.equal(code, 1);
    assert.deepEqual(report.conflicts, [{
      module: 'retainer', pointer: '/max_retained_messages',
      values: [{ node: 'emqx-a', value: 1000, file: 'emqx.env', line: 9 }, { node: 'emqx-b', value: 5000, file: 'env/emqx-b.env', line: 7 }],
    }]);
    assert.ok(errors.includes('  emqx-b: 5000 (env/emqx-b.env:7)'), errors.join('\n'));
  });

  it('a malformed env line is an error with file and line; every other line still applies', async () => {
    const dir = path.join(temp, 'broken', 'n1');
    await mkdir(path.join(dir, 'etc'), { recursive: true });
    await writeFile(path.join(dir, 'etc/emqx.conf'), 'allow_anonymous = true\nlistener.tcp.external = 0.0.0.0:1883\n');
    await writeFile(path.join(temp, 'broken', 'n1.env'), 'EMQX_ALLOW_ANONYMOUS=false\nEMQX_LISTENER__TCP__EXTERNAL="0.0.0.0:2883\nEMQX_LOG__LEVEL=error\n');
    const { code, errors, cluster, report } = await migrate(path.join(temp, 'broken'), ['n1', '--env', 'n1=n1.env'], path.join(temp, 'broken-out'));
    assert.equal(code, 1);
    assert.deepEqual(report.summary.errors.map((e) => [e.code, e.node, e.file, e.line]), [['env-syntax', 'n1', 'n1.env', 2]]);
    assert.ok(errors.some((l) => l.startsWith('n1/n1.env:2: error: EMQX_LISTENER__TCP__EXTERNAL: the value opens " and never closes it')), errors.join('\n'));
    assert.equal(cluster.settings['allow_anonymous'], false);
    assert.deepEqual(report.keys.map((k) => [k.key, k.file, k.line]).sort(), [['allow_anonymous', 'n1.env', 1], ['listener.tcp.external', 'etc/emqx.conf', 2], ['log.level', 'n1.env', 3]]);
  });

  it('4.0–4.2: a key no file sets gets a warning (that Docker entrypoint only rewrites existing lines); numbered siblings do not', async () => {
    const dir = path.join(temp, 'v42', 'n1');
    await mkdir(path.join(dir, 'etc'), { recursive: true });
    await writeFile(path.join(dir, 'etc/emqx.conf'), 'allow_anonymous = true\nmodule.rewrite.pub.rule.1 = a/# ^a/(.+)$ b/$1\n');
    await writeFile(path.join(dir, 'n1.env'), 'EMQX_ALLOW_ANONYMOUS=false\nEMQX_LOG__LEVEL=error\nEMQX_MODULE__REWRITE__PUB__RULE__2=c/# ^c/(.+)$ d/$1\n');
    const { code, errors, report } = await migrate(path.join(temp, 'v42'), ['n1', '--env', 'n1=n1/n1.env', '--from-version', '4.2'], path.join(temp, 'v42-out'));
    assert.equal(code, 0, errors.join('\n'));
    assert.deepEqual(report.warnings.filter((w) => w.code === 'env-key-not-in-file').map((w) => w.message), [
      'n1.env:2: log.level: no file sets this key; the 4.2 Docker entrypoint only rewrites existing or commented-out lines (and appends numbered keys next to a sibling), so check that the node used it (migrated as set)',
    ]);
  });

  it('validate --legacy takes --env too', async () => {
    const io = captureIo(fixture);
    assert.equal(await runCli(['validate', '--legacy', 'emqx-a', 'emqx-b', ...envArgs], io), 1);
    assert.ok(io.errors.includes('  emqx-a: 1000 (emqx.env:9)'), io.errors.join('\n'));
    assert.ok(io.lines.some((l) => l.startsWith('warning [env-loaded] emqx.env:10: EMQX_LOADED_PLUGINS loads emqx_retainer')), io.lines.join('\n'));
  });

  it('an --env naming no given node directory, or no file, is unreadable input (exit 2)', async () => {
    const io = captureIo(fixture);
    assert.equal(await runCli(['migrate', 'emqx-a', '--env', 'emqx-c=emqx-a/emqx.env', '--env', 'emqx-a=missing.env', '--out', path.join(temp, 'x')], io), 2);
    assert.deepEqual(io.errors, [
      'cannot read --env emqx-c=emqx-a/emqx.env: emqx-c is not one of the node directories given',
      'cannot read --env emqx-a=missing.env: missing.env is not a file',
    ]);
  });
});
