import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleContext, startTcpBroker } from '../helpers/module-context.js';
import mqtt, { type MqttClient } from 'mqtt';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { topicRewrite } from '../../src/modules/topic-rewrite/index.js';


function nextMessage(client: MqttClient): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload: payload.toString() })));
}

test('topic rewrite over real MQTT: publish and subscribe rules', async () => {
  const { broker, url } = await startTcpBroker();
  let instance: ModuleInstance | undefined;
  const clients: MqttClient[] = [];
  try {
    instance = await topicRewrite.create(moduleContext(broker, 'topic-rewrite'), {
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
