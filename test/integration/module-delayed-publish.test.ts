import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { delayedPublish } from '../../src/modules/delayed-publish/index.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { moduleContext, startTcpBroker } from '../helpers/module-context.js';
import { nextMessage, startNodeProcess } from '../helpers/node-process.js';

const run = promisify(execFile);

test('delayed publish over real MQTT (MQTT.js 3.1.1 and 5, mosquitto_pub): held, then routed; invalid never routed', async () => {
  const { broker, url } = await startTcpBroker();
  const dir = await mkdtemp(join(tmpdir(), 'modmq-delayed-it-'));
  let instance: ModuleInstance | undefined;
  const clients: MqttClient[] = [];
  try {
    instance = await delayedPublish.create({ ...moduleContext(broker, 'delayed'), dataDir: async () => dir }, { max_delayed_messages: 0 });
    const sub = await mqtt.connectAsync(url, { clientId: 'sub', protocolVersion: 5, reconnectPeriod: 0 });
    const pub5 = await mqtt.connectAsync(url, { clientId: 'pub5', protocolVersion: 5, reconnectPeriod: 0 });
    const pub4 = await mqtt.connectAsync(url, { clientId: 'pub4', protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(sub, pub5, pub4);
    const seen: string[] = [];
    sub.on('message', (topic) => seen.push(topic));
    await sub.subscribeAsync(['d/#', '$delayed/#', 'marker'], { qos: 1 });

    const got5 = nextMessage(sub, (t) => t === 'd/five');
    const ack = await pub5.publishAsync('$delayed/1/d/five', 'v5', { qos: 1, properties: { userProperties: { k: 'v' } } });
    assert.ok(ack, 'PUBACK received for the held message');
    const m5 = await got5;
    assert.equal(m5.payload, 'v5');

    const got4 = nextMessage(sub, (t) => t === 'd/four');
    await pub4.publishAsync('$delayed/0/d/four', 'v4', { qos: 2 });
    assert.equal((await got4).payload, 'v4');

    const gotMosq = nextMessage(sub, (t) => t === 'd/mosquitto');
    const port = new URL(url).port;
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-q', '1', '-t', '$delayed/1/d/mosquitto', '-m', 'm']);
    assert.equal((await gotMosq).payload, 'm');

    // Invalid interval: acknowledged, never routed (neither to d/# nor as $delayed/...).
    await pub4.publishAsync('$delayed/soon/d/bad', 'x', { qos: 1 });
    const marker = nextMessage(sub, (t) => t === 'marker');
    await pub4.publishAsync('marker', 'm', { qos: 1 });
    await marker;
    assert.deepEqual(seen.filter((t) => t !== 'marker'), ['d/five', 'd/four', 'd/mosquitto']);
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await instance?.stop();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('restart of a real node: held messages survive and are listed and deletable; one due during downtime goes out at start', async () => {
  const first = await startNodeProcess({ password: 'delayed-Pass-1' });
  const dir = first.dir;
  try {
    await first.json('POST', '/modules', { type: 'delayed-publish', config: { max_delayed_messages: 0 } });
    await first.waitApplied();
    const pub = await first.connect({ clientId: 'pub', protocolVersion: 5 });
    await pub.publishAsync('$delayed/3600/r/hour', 'h', { qos: 1 });
    await pub.publishAsync('$delayed/3600/r/gone', 'g', { qos: 1 });
    await pub.publishAsync('$delayed/1/r/due', 'd', { qos: 1 });
    const before = await first.json<{ total: number }>('GET', '/delayed');
    assert.equal(before.total, 3);
    await first.stop();
    // Let r/due fall due while the node is down (a wait for a state, not a timing assertion).
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const second = await startNodeProcess({ dir, password: 'delayed-Pass-1' });
    try {
      await second.waitApplied();
      type Listing = { total: number; messages: Array<{ id: number; topic: string; from_clientid: string }> };
      // Published at start, then removed from the store: wait until it is gone from the list.
      let list = await second.json<Listing>('GET', '/delayed');
      for (let i = 0; i < 100 && list.messages.some((m) => m.topic === 'r/due'); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        list = await second.json<Listing>('GET', '/delayed');
      }
      assert.deepEqual(list.messages.map((m) => m.topic), ['r/hour', 'r/gone']);
      const metrics = await (await second.request('GET', '/metrics')).text();
      assert.match(metrics, /modmq_delayed_messages_total\{result="published"\} 1\b/);
      assert.equal(list.messages[0]!.from_clientid, 'pub');
      const gone = list.messages[1]!;
      assert.deepEqual(await second.json('DELETE', `/delayed/${gone.id}`), { id: gone.id, deleted: true });
      assert.deepEqual(await second.json('DELETE', `/delayed?topic=${encodeURIComponent('r/none')}`), { topic: 'r/none', deleted: 0 });
      const after = await second.json<Listing>('GET', '/delayed');
      assert.deepEqual(after.messages.map((m) => m.topic), ['r/hour']);
    } finally {
      await second.close();
    }
  } finally {
    await first.close();
    await rm(dir, { recursive: true, force: true });
  }
});
