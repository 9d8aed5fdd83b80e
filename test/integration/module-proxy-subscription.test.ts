import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createBroker, type Broker } from '../../src/broker/broker.js';
import type { ModuleContext, ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';
import { proxySubscription } from '../../src/modules/proxy-subscription/index.js';

async function start(): Promise<{ broker: Broker; url: string }> {
  const broker = await createBroker({
    nodeName: 'itest@127.0.0.1',
    log: pino({ level: 'silent' }),
    metrics: new Registry(),
    settings: structuredClone(DEFAULT_SETTINGS),
  });
  const off = { enable: false, bind: '127.0.0.1', port: 0 };
  const [bound] = await broker.listen({ tcp: { enable: true, bind: '127.0.0.1', port: 0 }, tls: off, ws: { ...off, path: '/mqtt' }, wss: { ...off, path: '/mqtt' } });
  return { broker, url: `mqtt://127.0.0.1:${bound!.port}` };
}

function context(broker: Broker, id: string): ModuleContext {
  return {
    moduleId: id,
    node: { name: broker.api.nodeName, dataDir: '/nonexistent' },
    dataDir: async () => '/nonexistent',
    log: pino({ level: 'silent' }),
    metrics: new Registry(),
    broker: broker.api,
    hooks: broker.hooks.scope(id),
  };
}


test('proxy subscription over real MQTT: the client gets retained messages of its own topic without subscribing', async () => {
  const { broker, url } = await start();
  let instance: ModuleInstance | undefined;
  const clients: MqttClient[] = [];
  try {
    instance = await proxySubscription.create(context(broker, 'proxy-subscription'), {
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
