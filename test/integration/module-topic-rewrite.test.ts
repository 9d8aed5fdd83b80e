import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createBroker, type Broker } from '../../src/broker/broker.js';
import type { ModuleContext, ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';
import { topicRewrite } from '../../src/modules/topic-rewrite/index.js';

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


function nextMessage(client: MqttClient): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));
}

test('topic rewrite over real MQTT: publish and subscribe rules', async () => {
  const { broker, url } = await start();
  let instance: ModuleInstance | undefined;
  const clients: MqttClient[] = [];
  try {
    instance = await topicRewrite.create(context(broker, 'topic-rewrite'), {
      rules: [
        { action: 'publish', source_topic: 'x/#', re: '^x/y/(.+)$', dest_topic: 'z/y/$1' },
        { action: 'subscribe', source_topic: 'sub/in', re: '^sub/in$', dest_topic: 'sub/out' },
      ],
    });
    const sub = await mqtt.connectAsync(url, { clientId: 'sub', protocolVersion: 5, reconnectPeriod: 0 });
    const pub = await mqtt.connectAsync(url, { clientId: 'pub', protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(sub, pub);

    await sub.subscribeAsync('z/y/#', { qos: 1 });
    let next = nextMessage(sub);
    await pub.publishAsync('x/y/42', 'a', { qos: 1 });
    assert.deepEqual(await next, { topic: 'z/y/42', payload: 'a' });

    // The subscription to sub/in is rewritten to sub/out.
    await sub.subscribeAsync('sub/in', { qos: 1 });
    next = nextMessage(sub);
    await pub.publishAsync('sub/out', 'b', { qos: 1 });
    assert.deepEqual(await next, { topic: 'sub/out', payload: 'b' });

    // Hot update: the publish rule now sends x/y/* elsewhere.
    await instance.update!({ rules: [{ action: 'publish', source_topic: 'x/#', re: '^x/y/(.+)$', dest_topic: 'z/y/new-$1' }] });
    next = nextMessage(sub);
    await pub.publishAsync('x/y/7', 'c', { qos: 1 });
    assert.deepEqual(await next, { topic: 'z/y/new-7', payload: 'c' });
  } finally {
    await instance?.stop();
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker.close();
  }
});
