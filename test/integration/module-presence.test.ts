import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleContext, startTcpBroker } from '../helpers/module-context.js';
import mqtt, { type MqttClient } from 'mqtt';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { presence } from '../../src/modules/presence/index.js';

function nextMessage(client: MqttClient, topicSuffix: string): Promise<{ topic: string; body: Record<string, unknown>; qos: number; retain: boolean }> {
  return new Promise((resolve) => {
    const onMessage = (topic: string, payload: Buffer, packet: { qos: number; retain: boolean }): void => {
      if (!topic.endsWith(topicSuffix)) return;
      client.off('message', onMessage);
      resolve({ topic, body: JSON.parse(payload.toString()), qos: packet.qos, retain: packet.retain });
    };
    client.on('message', onMessage);
  });
}

test('presence over real MQTT: connected and disconnected events reach a $SYS subscriber', async () => {
  const { broker, url } = await startTcpBroker();
  let instance: ModuleInstance | undefined;
  const clients: MqttClient[] = [];
  try {
    instance = await presence.create(moduleContext(broker, 'presence'), { qos: 1 });
    const watcher = await mqtt.connectAsync(url, { clientId: 'watcher', protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(watcher);
    await watcher.subscribeAsync('$SYS/brokers/+/clients/#', { qos: 1 });

    const connected = nextMessage(watcher, '/dev-7/connected');
    const device = await mqtt.connectAsync(url, { clientId: 'dev-7', username: 'alice', protocolVersion: 4, keepalive: 25, reconnectPeriod: 0 });
    clients.push(device);
    const c = await connected;
    assert.equal(c.topic, '$SYS/brokers/itest@127.0.0.1/clients/dev-7/connected');
    assert.equal(c.qos, 1);
    assert.equal(c.retain, false);
    assert.equal(c.body.clientid, 'dev-7');
    assert.equal(c.body.username, 'alice');
    assert.equal(c.body.ipaddress, '127.0.0.1');
    assert.equal(c.body.proto_ver, 4);
    assert.equal(c.body.keepalive, 25);
    assert.equal(c.body.connack, 0);
    assert.equal(typeof c.body.connected_at, 'number');

    const disconnected = nextMessage(watcher, '/dev-7/disconnected');
    await device.endAsync();
    const d = await disconnected;
    assert.equal(d.body.clientid, 'dev-7');
    assert.equal(d.body.connected_at, c.body.connected_at);
    assert.equal(typeof d.body.reason, 'string');
    assert.equal(typeof d.body.disconnected_at, 'number');
  } finally {
    await instance?.stop();
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker.close();
  }
});
