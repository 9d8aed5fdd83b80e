/**
 * Modules changed live through the `modmq modules` CLI against the spawned binary, observed with
 * MQTT.js; the broker process is the same from the first test to the last.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { nextMessage, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

const PRESENCE = '$SYS/brokers/+/clients/+/connected';
const REWRITE = { rules: [{ action: 'publish', source_topic: 'src/#', re: '^src/(.+)$', dest_topic: 'dst/$1' }] };

let node: NodeProcess;
let pid: number;

before(async () => {
  node = await startNodeProcess();
  pid = node.pid;
});
after(async () => {
  await node.close();
});

/** Runs a CLI write and waits until the node applied the revision it printed. */
async function write(args: string[]): Promise<number> {
  const r = await node.cliOk(args);
  const rev = /\(revision (\d+)\)/.exec(r.stdout);
  assert.ok(rev, `no revision in: ${r.stdout}`);
  await node.waitApplied(Number(rev[1]));
  return Number(rev[1]);
}

/**
 * Collects what SUB receives while ACTION runs, up to a marker message published afterwards on the
 * same connection path: anything the broker would publish for ACTION arrives before the marker.
 */
async function receivedUntilMarker(sub: MqttClient, action: () => Promise<void>): Promise<string[]> {
  const marker = `marker/${Math.random().toString(36).slice(2)}`;
  const topics: string[] = [];
  const onMessage = (topic: string): void => {
    topics.push(topic);
  };
  sub.on('message', onMessage);
  const done = nextMessage(sub, (t) => t === marker);
  await action();
  const pub = await node.connect({ clientId: `marker-${Math.random().toString(36).slice(2)}` });
  await pub.publishAsync(marker, 'm', { qos: 1 });
  await done;
  sub.off('message', onMessage);
  await pub.endAsync();
  return topics.filter((t) => t !== marker);
}

describe('modules live through the CLI', () => {
  let watcher: MqttClient;
  before(async () => {
    watcher = await node.connect({ clientId: 'presence-watcher', protocolVersion: 5 });
    await watcher.subscribeAsync([PRESENCE, 'marker/#'], { qos: 1 });
  });

  test('modules add presence: a connect publishes the EMQX event', async () => {
    await write(['modules', 'add', 'presence', '--config', '{"qos":1}']);
    const got = nextMessage(watcher, (t) => t.endsWith('/clients/presence-1/connected'));
    await node.connect({ clientId: 'presence-1', username: 'alice', keepalive: 42, protocolVersion: 4 });
    const m = await got;
    assert.equal(m.topic, '$SYS/brokers/e2e@127.0.0.1/clients/presence-1/connected');
    assert.equal(m.qos, 1);
    const body = JSON.parse(m.payload) as Record<string, unknown>;
    assert.equal(body['clientid'], 'presence-1');
    assert.equal(body['username'], 'alice');
    assert.equal(body['ipaddress'], '127.0.0.1');
    assert.equal(body['sockport'], node.mqtt.port);
    assert.equal(body['proto_name'], 'MQTT');
    assert.equal(body['proto_ver'], 4);
    assert.equal(body['keepalive'], 42);
    assert.equal(body['connack'], 0);
    assert.equal(body['clean_start'], true);
    assert.equal(body['expiry_interval'], 0);
    assert.equal(typeof body['connected_at'], 'number');
    assert.equal(typeof body['ts'], 'number');
  });

  test('modules add topic-rewrite: a publish to the source arrives on the destination', async () => {
    await write(['modules', 'add', 'topic-rewrite', '--config', JSON.stringify(REWRITE)]);
    const sub = await node.connect({ clientId: 'rw-sub' });
    await sub.subscribeAsync('dst/#', { qos: 1 });
    const got = nextMessage(sub);
    const pub = await node.connect({ clientId: 'rw-pub' });
    await pub.publishAsync('src/a/b', 'payload', { qos: 1 });
    const m = await got;
    assert.equal(m.topic, 'dst/a/b');
    assert.equal(m.payload, 'payload');
  });

  test('modules update with a broken regex exits 1, prints the problem, and the old rule keeps rewriting', async () => {
    const before = await node.json<{ revision: number }>('GET', '/status');
    const broken = { rules: [{ action: 'publish', source_topic: 'src/#', re: '^src/(.+$', dest_topic: 'other/$1' }] };
    const r = await node.cli(['modules', 'update', 'topic-rewrite', '--config', JSON.stringify(broken)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /MODMQ_INVALID_CONFIG/);
    assert.match(r.stderr, /\/config\/rules\/0\/re/);
    const afterStatus = await node.json<{ revision: number }>('GET', '/status');
    assert.equal(afterStatus.revision, before.revision, 'nothing stored');

    const sub = await node.connect({ clientId: 'rw-sub-2' });
    await sub.subscribeAsync('dst/#', { qos: 1 });
    const got = nextMessage(sub);
    const pub = await node.connect({ clientId: 'rw-pub-2' });
    await pub.publishAsync('src/still', 'old rule', { qos: 1 });
    assert.equal((await got).topic, 'dst/still');
  });

  test('modules disable presence stops the events; enable brings them back', async () => {
    await write(['modules', 'disable', 'presence']);
    const silent = await receivedUntilMarker(watcher, async () => {
      await node.connect({ clientId: 'while-disabled' });
      await node.waitForClient('while-disabled'); // its clientConnected hooks have run
    });
    assert.deepEqual(silent.filter((t) => t.includes('/clients/')), []);

    await write(['modules', 'enable', 'presence']);
    const loud = await receivedUntilMarker(watcher, async () => {
      await node.connect({ clientId: 'while-enabled' });
      await node.waitForClient('while-enabled'); // its clientConnected hooks have run
    });
    assert.ok(loud.some((t) => t.endsWith('/clients/while-enabled/connected')), `got ${loud.join(', ')}`);
  });

  test('proxy-subscription with %c delivers a retained message to a new client', async () => {
    await write(['modules', 'add', 'proxy-subscription', '--config', JSON.stringify({ topics: [{ topic: 'inbox/%c', qos: 1 }] })]);
    const pub = await node.connect({ clientId: 'retainer' });
    await pub.publishAsync('inbox/newcomer', 'welcome', { qos: 1, retain: true });
    const client = node.open({ clientId: 'newcomer', protocolVersion: 5 });
    const m = await nextMessage(client);
    assert.equal(m.topic, 'inbox/newcomer');
    assert.equal(m.payload, 'welcome');
    assert.equal(m.retain, true);
    assert.equal(m.qos, 1);
  });

  test('every module runs and the broker was never restarted', async () => {
    const list = await node.cliOk(['modules', 'list']);
    assert.match(list.stdout, /^presence\s+presence\s+yes\s+running/m);
    assert.match(list.stdout, /^topic-rewrite\s+topic-rewrite\s+yes\s+running/m);
    assert.match(list.stdout, /^proxy-subscription\s+proxy-subscription\s+yes\s+running/m);
    assert.equal(node.pid, pid);
    assert.equal(node.alive, true);
    assert.doesNotMatch(node.stdout, /listening: mqtt tcp .*\n(.|\n)*listening: mqtt tcp/, 'listeners printed once');
  });
});
