/**
 * The real binary: `modmq start` with a HOCON file, env and flag overrides, the generated admin
 * password, graceful SIGTERM and a restart that brings the stored modules back.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { makeTempDir, removeTempDir, runModmq, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

const nodes: NodeProcess[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await Promise.all(dirs.map((d) => removeTempDir(d)));
});

async function start(options: Parameters<typeof startNodeProcess>[0] = {}): Promise<NodeProcess> {
  const node = await startNodeProcess(options);
  nodes.push(node);
  return node;
}

async function tempDir(): Promise<string> {
  const dir = await makeTempDir();
  dirs.push(dir);
  return dir;
}

/** True when something accepts TCP connections on PORT. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('modmq start: node config sources', () => {
  test('the file is overridden by MODMQ_* env variables, which are overridden by flags', async () => {
    const config = [
      'node { name = "file@127.0.0.1", data_dir = "data" }',
      'listeners {',
      '  tcp { bind = "127.0.0.1", port = 1883 }',
      '  ws { enable = false, bind = "127.0.0.1", port = 8083 }',
      '}',
      'api { bind = "127.0.0.1", port = 18083 }',
      'log { level = warn }',
    ].join('\n');
    const node = await start({
      config,
      // env beats the file (name, ws.enable); the flag --mqtt-port 0 beats the env port 1.
      env: { MODMQ_NODE__NAME: 'env@127.0.0.1', MODMQ_LISTENERS__WS__ENABLE: 'true', MODMQ_LISTENERS__TCP__PORT: '1' },
    });
    const status = await node.json<{ node: string }>('GET', '/status');
    assert.equal(status.node, 'env@127.0.0.1');
    assert.ok(node.ws, 'ws listener enabled by the env variable');
    assert.notEqual(node.ws.port, 8083);
    assert.ok(node.mqtt.port !== 1 && node.mqtt.port !== 1883 && node.mqtt.port > 0, `mqtt port ${node.mqtt.port}`);
    assert.equal(node.mqtt.host, '127.0.0.1');
    assert.match(node.stdout, new RegExp(`^listening: mqtt tcp 127\\.0\\.0\\.1:${node.mqtt.port}$`, 'm'));
    const client = await node.connect({ clientId: 'precedence' });
    assert.equal(client.connected, true);
    const listed = await node.waitForClient('precedence');
    assert.equal(listed['sockPort'], node.mqtt.port);
  });

  test('--node-name beats MODMQ_NODE__NAME', async () => {
    const node = await start({ env: { MODMQ_NODE__NAME: 'env@127.0.0.1' }, args: ['--node-name', 'flag@127.0.0.1'] });
    const status = await node.json<{ node: string }>('GET', '/status');
    assert.equal(status.node, 'flag@127.0.0.1');
  });

  test('a malformed config file exits 1 and names the file and line', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'broken.conf'), 'node {\n  name = "x@127.0.0.1"\n  data_dir = [\n}\n');
    const r = await runModmq(['start', '-c', 'broken.conf', '--mqtt-port', '0', '--api-port', '0'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken\.conf:4:\d+: /);
    assert.doesNotMatch(r.stderr, /Token:|file:\/\//, 'no parser internals in the message');
    assert.doesNotMatch(r.stdout, /listening:/);
  });

  test('a schema violation in the file exits 1 and names the file and pointer', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'bad.conf'), 'node { name = "x@127.0.0.1" }\nlisteners { tcp { port = "many" } }\n');
    const r = await runModmq(['start', '-c', 'bad.conf', '--api-port', '0'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.conf.*\/listeners\/tcp\/port/);
  });
});

describe('modmq start: the admin password', () => {
  test('is generated once, works, is stored only as a hash, and is not regenerated', async () => {
    const dir = await tempDir();
    const first = await start({ dir, password: null });
    const match = /Generated the API password for user "admin".*: (\S+)$/m.exec(first.stdout);
    assert.ok(match, `no generated password in: ${first.stdout}`);
    const password = match[1]!;
    assert.equal(first.password, password);
    const ok = await fetch(`${first.api}/status`, { headers: { authorization: first.authHeader(password) } });
    assert.equal(ok.status, 200);
    const wrong = await fetch(`${first.api}/status`, { headers: { authorization: first.authHeader(`${password}x`) } });
    assert.equal(wrong.status, 401);
    const cli = await first.cli(['modules', 'list']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((await first.stop()).code, 0);

    const second = await start({ dir, password: null });
    assert.doesNotMatch(second.stdout, /Generated the API password/);
    const again = await fetch(`${second.api}/status`, { headers: { authorization: second.authHeader(password) } });
    assert.equal(again.status, 200, 'the first password still works after a restart');
    await second.stop();

    // Every file of the data dir (db, WAL): the password never appears in clear.
    const files = await readdir(second.dataDir);
    for (const f of files) {
      const bytes = await readFile(join(second.dataDir, f));
      assert.equal(bytes.includes(Buffer.from(password)), false, `password in clear in ${f}`);
    }
    const db = new Database(join(second.dataDir, 'modmq.db'), { readonly: true });
    try {
      const rows = db.prepare("SELECT * FROM api_credentials WHERE name = 'admin'").all() as Array<Record<string, unknown>>;
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      assert.equal(JSON.stringify(row).includes(password), false);
      assert.match(String(row['hash']), /^scrypt\$/);
    } finally {
      db.close();
    }
  });
});

describe('modmq start: stop and restart', () => {
  test('SIGTERM exits 0 and closes the MQTT port; a restart runs the stored modules without any API call', async () => {
    const dir = await tempDir();
    const first = await start({ dir, password: 'restart-secret' });
    await first.cliOk(['modules', 'add', 'presence', '--config', '{"qos":1}']);
    await first.cliOk(['modules', 'add', 'topic-rewrite', '--config', JSON.stringify({
      rules: [{ action: 'publish', source_topic: 'in/#', re: '^in/(.+)$', dest_topic: 'out/$1' }],
    })]);
    const revision = await first.waitApplied();
    const port = first.mqtt.port;
    assert.equal(await portOpen(port), true);

    let timer: NodeJS.Timeout | undefined;
    const bounded = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no exit within 20 s of SIGTERM')), 20_000);
    });
    const exit = await Promise.race([first.stop('SIGTERM'), bounded]).finally(() => clearTimeout(timer));
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(await portOpen(port), false, 'MQTT port closed after exit');

    const second = await start({ dir, password: 'restart-secret' });
    assert.notEqual(second.pid, first.pid);
    const applied = await second.waitApplied(revision);
    assert.equal(applied, revision);
    const list = await second.json<{ modules: Array<{ id: string; status: { state: string } }> }>('GET', '/modules');
    assert.deepEqual(
      list.modules.map((m) => [m.id, m.status.state]),
      [['retainer', 'running'], ['presence', 'running'], ['topic-rewrite', 'running']],
    );
    // ...and they work: the stored rewrite rule applies on the restarted node.
    const sub = await second.connect({ clientId: 'restart-sub' });
    await sub.subscribeAsync('out/#', { qos: 1 });
    const got = new Promise<string>((resolve) => sub.once('message', (topic) => resolve(topic)));
    const pub = await second.connect({ clientId: 'restart-pub' });
    await pub.publishAsync('in/x', 'hello', { qos: 1 });
    assert.equal(await got, 'out/x');
  });
});
