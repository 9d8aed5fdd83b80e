/**
 * The management API and the MQTT port of the spawned binary as outside tools see them: auth on
 * every documented route, /metrics, clients and module types, and Debian's mosquitto clients.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { nextMessage, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

const run = promisify(execFile);

let node: NodeProcess;
before(async () => {
  node = await startNodeProcess();
});
after(async () => {
  await node.close();
});

const SAMPLE_PARAMS: Record<string, string> = { id: 'presence', rev: '1', type: 'presence', clientid: 'someone' };

describe('API authentication', () => {
  test('every /api/v1 route of the OpenAPI document answers 401 without or with wrong credentials', async () => {
    const doc = await node.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json');
    assert.match(doc.openapi, /^3\.1/);
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => [m.toUpperCase(), path] as const));
    assert.ok(routes.length >= 15, `only ${routes.length} routes documented`);
    const wrong = `Basic ${Buffer.from('admin:not-the-password').toString('base64')}`;
    const unknownKey = `Basic ${Buffer.from('key-nope:secret').toString('base64')}`;
    for (const [method, template] of routes) {
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => SAMPLE_PARAMS[name] ?? 'x');
      for (const authorization of [undefined, wrong, unknownKey]) {
        const headers: Record<string, string> = {};
        if (authorization) headers['authorization'] = authorization;
        const init: RequestInit = { method, headers };
        if (method === 'POST' || method === 'PUT') {
          headers['content-type'] = 'application/json';
          init.body = JSON.stringify({});
        }
        const res = await fetch(`${node.origin}${path}`, init);
        const body = (await res.json()) as { code?: string };
        assert.equal(res.status, 401, `${method} ${path} (${authorization ? 'bad credentials' : 'no credentials'})`);
        assert.equal(body.code, 'MODMQ_UNAUTHORIZED');
        assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
      }
    }
    // Nothing was changed by those calls (revision 1 is the initial document with the retainer).
    const status = await node.json<{ revision: number }>('GET', '/status');
    assert.equal(status.revision, 1);
  });
});

describe('what runs on the node', () => {
  test('GET /clients lists a connected MQTT.js client', async () => {
    const client = await node.connect({ clientId: 'listed-client', username: 'bob', protocolVersion: 5 });
    await node.waitForClient('listed-client');
    const body = await node.json<{ total: number; clients: Array<Record<string, unknown>> }>('GET', '/clients');
    const found = body.clients.find((c) => c['clientId'] === 'listed-client');
    assert.ok(found, JSON.stringify(body));
    assert.equal(found['username'], 'bob');
    assert.equal(found['protoVer'], 5);
    assert.equal(found['sockPort'], node.mqtt.port);
    const one = await node.json<Record<string, unknown>>('GET', '/clients/listed-client');
    assert.equal(one['clientId'], 'listed-client');
    await client.endAsync();
  });

  test('GET /module-types has the four implemented types with their schemas', async () => {
    const types = await node.json<Array<{ type: string; implemented?: boolean; schema: { $id?: string; type?: string }; versions: number[] }>>(
      'GET',
      '/module-types',
    );
    for (const name of ['presence', 'proxy-subscription', 'topic-rewrite', 'prometheus']) {
      const t = types.find((x) => x.type === name);
      assert.ok(t, `${name} missing`);
      assert.equal(t.implemented, true, `${name} implemented`);
      assert.equal(t.schema.type, 'object');
      assert.match(t.schema.$id ?? '', new RegExp(`/modules/${name}/v1\\.json$`));
      assert.deepEqual(t.versions, [1]);
    }
  });

  test('/metrics after traffic: connections, QoS 1 messages, module status, applied revision', async () => {
    await node.cliOk(['modules', 'add', 'presence', '--config', '{"qos":0}']);
    const added = await node.cliOk(['modules', 'add', 'topic-rewrite', '--config', '{"rules":[]}']);
    const latest = Number(/\(revision (\d+)\)/.exec(added.stdout)?.[1]);
    await node.waitApplied(latest);
    const sub = await node.connect({ clientId: 'metrics-sub' });
    await sub.subscribeAsync('metrics/#', { qos: 1 });
    const pub = await node.connect({ clientId: 'metrics-pub' });
    const got = nextMessage(sub);
    await pub.publishAsync('metrics/a', 'x', { qos: 1 });
    await got;

    const res = await fetch(`${node.origin}/metrics`);
    assert.equal(res.status, 200, '/metrics needs no credentials');
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      assert.ok(line, `no series ${series}`);
      return Number(line.split(' ')[1]);
    };
    assert.ok(value('modmq_connections') >= 2);
    assert.ok(value('modmq_messages_received_total{qos="1"}') > 0);
    assert.ok(value('modmq_messages_sent_total{qos="1"}') > 0);
    assert.equal(value('modmq_module_status{module="presence",type="presence",state="running"}'), 1);
    assert.equal(value('modmq_module_status{module="topic-rewrite",type="topic-rewrite",state="running"}'), 1);
    assert.equal(value('modmq_config_revision_applied'), latest);
    const status = await node.json<{ revision: number }>('GET', '/status');
    assert.equal(status.revision, latest);
  });
});

/** mosquitto_sub until one message arrives; resolves with its output. */
function mosquittoSub(args: string[], clientId: string): Promise<string> {
  const child = spawn('mosquitto_sub', ['-C', '1', '-i', clientId, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`mosquitto_sub exited ${code}: ${out}`))));
  });
}

describe('Debian mosquitto clients against the binary', () => {
  before(async () => {
    // Presence events tell which protocol version the node saw.
    const list = await node.json<{ modules: Array<{ id: string }> }>('GET', '/modules');
    if (!list.modules.some((m) => m.id === 'presence')) await node.cliOk(['modules', 'add', 'presence']);
    await node.waitApplied();
  });

  for (const [version, protoVer] of [['mqttv5', 5], ['mqttv311', 4]] as const) {
    test(`${version}: mosquitto_pub -> mosquitto_sub, and mosquitto_pub -> MQTT.js`, async () => {
      const common = ['-h', '127.0.0.1', '-p', String(node.mqtt.port), '-V', version, '-q', '1'];
      const watcher = await node.connect({ clientId: `watch-${version}` });
      await watcher.subscribeAsync(`$SYS/brokers/+/clients/msub-${version}/connected`);
      const presence = nextMessage(watcher);
      // Retained, so the subscriber gets it whether its SUBSCRIBE lands before or after the publish.
      const topic = `mosq/${version}`;
      await run('mosquitto_pub', [...common, '-r', '-t', topic, '-m', `hello-${version}`]);
      const output = mosquittoSub([...common, '-t', topic], `msub-${version}`);
      assert.match(await output, new RegExp(`^hello-${version}$`, 'm'));
      const event = JSON.parse((await presence).payload) as { proto_ver: number; proto_name: string };
      assert.equal(event.proto_ver, protoVer);
      assert.equal(event.proto_name, 'MQTT');

      const client = await node.connect({ clientId: `mqttjs-${version}`, protocolVersion: protoVer });
      await client.subscribeAsync('mosq/live', { qos: 1 });
      const got = nextMessage(client);
      await run('mosquitto_pub', [...common, '-t', 'mosq/live', '-m', `live-${version}`]);
      const m = await got;
      assert.equal(m.payload, `live-${version}`);
      assert.equal(m.qos, 1);
    });
  }
});
