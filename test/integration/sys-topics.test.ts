/**
 * $SYS topics of a spawned node, as EMQX publishes them: version/sysdescr retained, the rest not,
 * all QoS 0, at the node config's sys.interval; `0s` turns them off.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { defaultConfig, startNodeProcess, type NodeProcess } from '../helpers/node-process.js';

const run = promisify(execFile);
const NODE = 'sys@127.0.0.1';
const PREFIX = `$SYS/brokers/${NODE}/`;
const nodes: NodeProcess[] = [];
after(async () => {
  await Promise.all(nodes.map((n) => n.close()));
});

async function start(interval: string): Promise<NodeProcess> {
  const node = await startNodeProcess({ config: `${defaultConfig(NODE)}sys { interval = "${interval}" }\n` });
  nodes.push(node);
  return node;
}

/** The next message on TOPIC whose payload satisfies PREDICATE. */
function nextOn(
  client: MqttClient,
  topic: string,
  predicate: (payload: string) => boolean = () => true,
): Promise<{ payload: string; retain: boolean; qos: number }> {
  return new Promise((resolve) => {
    const onMessage = (t: string, payload: Buffer, packet: { retain: boolean; qos: number }): void => {
      if (t !== topic || !predicate(payload.toString())) return;
      client.off('message', onMessage);
      resolve({ payload: payload.toString(), retain: packet.retain, qos: packet.qos });
    };
    client.on('message', onMessage);
  });
}

describe('$SYS topics', () => {
  test('version and sysdescr are retained; uptime, datetime, stats and metrics follow the interval', async () => {
    const node = await start('100ms');
    const version = (JSON.parse((await import('node:fs')).readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

    // A late subscriber gets version and sysdescr from the retained store, flagged retained.
    const late = await node.connect({ clientId: 'late', protocolVersion: 5 });
    const v = nextOn(late, `${PREFIX}version`, () => true);
    const d = nextOn(late, `${PREFIX}sysdescr`);
    const b = nextOn(late, '$SYS/brokers');
    await late.subscribeAsync([`${PREFIX}version`, `${PREFIX}sysdescr`, '$SYS/brokers'], { qos: 1 });
    const [gotV, gotD, gotB] = await Promise.all([v, d, b]);
    assert.equal(gotV.payload, version);
    assert.equal(gotV.retain, true);
    assert.match(gotD.payload, /modmq/);
    assert.equal(gotB.payload, NODE);

    const sub = await node.connect({ clientId: 'sys-watch', protocolVersion: 4 });
    const uptime = nextOn(sub, `${PREFIX}uptime`);
    const datetime = nextOn(sub, `${PREFIX}datetime`);
    const clients = nextOn(sub, `${PREFIX}stats/connections/count`, (p) => Number(p) >= 2);
    const max = nextOn(sub, `${PREFIX}stats/connections/max`, (p) => Number(p) >= 2);
    const subs = nextOn(sub, `${PREFIX}stats/subscriptions/count`, (p) => Number(p) >= 1);
    const received = nextOn(sub, `${PREFIX}metrics/messages/qos1/received`, (p) => Number(p) >= 1);
    const bytes = nextOn(sub, `${PREFIX}metrics/bytes/received`, (p) => Number(p) > 0);
    await sub.subscribeAsync('$SYS/#', { qos: 1 });
    const pub = await node.connect({ clientId: 'sys-pub' });
    await pub.publishAsync('some/topic', 'x', { qos: 1 });

    const u = await uptime;
    assert.match(u.payload, /^(\d+ (days|hours|minutes), )*\d+ seconds$/);
    assert.equal(u.retain, false);
    assert.equal(u.qos, 0);
    assert.match((await datetime).payload, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok(Number((await clients).payload) >= 2);
    assert.ok(Number((await max).payload) >= 2);
    assert.ok(Number((await subs).payload) >= 1);
    assert.ok(Number((await received).payload) >= 1);
    assert.ok(Number((await bytes).payload) > 0);

    // mosquitto_sub sees the retained version too.
    const { stdout } = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(node.mqtt.port), '-C', '1', '-t', `${PREFIX}version`, '-F', '%r %p']);
    assert.equal(stdout.trim(), `1 ${version}`);
  });

  test('interval 0s: nothing is published (no retained version either)', async () => {
    const node = await start('0s');
    const sub = await node.connect({ clientId: 'sys-off' });
    const seen: string[] = [];
    sub.on('message', (t) => seen.push(t));
    await sub.subscribeAsync([`${PREFIX}#`, 'marker/off'], { qos: 0 });
    const pub = await node.connect({ clientId: 'sys-off-pub' });
    const marker = new Promise<void>((resolve) => sub.on('message', (t) => t === 'marker/off' && resolve()));
    await pub.publishAsync('marker/off', 'm', { qos: 1 });
    await marker;
    assert.deepEqual(seen.filter((t) => t.startsWith(PREFIX) && !t.includes('/clients/')), []);
  });
});

describe('$SYS payload formats', () => {
  test('uptime reads like EMQX; datetime is local YYYY-MM-DD HH:MM:SS', async () => {
    const { formatUptime, formatDatetime, sysPrefix } = await import('../../src/broker/sys-topics.js');
    assert.equal(formatUptime(0), '0 seconds');
    assert.equal(formatUptime(61_000), '1 minutes, 1 seconds');
    assert.equal(formatUptime(3_600_000), '1 hours, 0 minutes, 0 seconds');
    assert.equal(formatUptime(90_061_000), '1 days, 1 hours, 1 minutes, 1 seconds');
    assert.equal(formatDatetime(new Date(2024, 0, 2, 3, 4, 5)), '2024-01-02 03:04:05');
    assert.equal(sysPrefix('n@h'), '$SYS/brokers/n@h/');
  });
});
