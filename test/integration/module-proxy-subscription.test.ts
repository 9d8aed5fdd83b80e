import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleContext, startTcpBroker } from '../helpers/module-context.js';
import mqtt, { type MqttClient } from 'mqtt';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { proxySubscription } from '../../src/modules/proxy-subscription/index.js';
import { memoryRetainedStore } from '../helpers/mqtt-harness.js';


test('proxy subscription over real MQTT: the client gets retained messages of its own topic without subscribing', async () => {
  const { broker, url } = await startTcpBroker();
  // The raw broker ignores the retain flag without a store (the retainer module provides one).
  broker.hooks.scope('test:retained').retainedStore(memoryRetainedStore());
  let instance: ModuleInstance | undefined;
  const clients: MqttClient[] = [];
  try {
    instance = await proxySubscription.create(moduleContext(broker, 'proxy-subscription'), {
      topics: [
        { topic: 'inbox/%c', qos: 1, nl: false, rap: false, rh: 0 },
        { topic: 'user/%u', qos: 0, nl: false, rap: false, rh: 0 },
      ],
    });
    const publisher = await mqtt.connectAsync(url, { clientId: 'pub', protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(publisher);
    await publisher.publishAsync('inbox/dev-1', 'hello', { qos: 1, retain: true });

    const device = mqtt.connect(url, { clientId: 'dev-1', protocolVersion: 5, reconnectPeriod: 0 });
    clients.push(device);
    const received = await new Promise<{ topic: string; payload: string; qos: number }>((resolve) => {
      device.on('message', (topic, payload, packet) => resolve({ topic, payload: payload.toString(), qos: packet.qos }));
    });
    assert.deepEqual(received, { topic: 'inbox/dev-1', payload: 'hello', qos: 1 });
  } finally {
    await instance?.stop();
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker.close();
  }
});
