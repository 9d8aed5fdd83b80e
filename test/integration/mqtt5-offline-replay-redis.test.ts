/**
 * The offline queue replay within the client's Receive Maximum with sessions in Redis
 * (aedes-persistence-redis), on a node process of a one-node cluster.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { nextPacket, rawConnect, rawSubscribe } from '../helpers/mqtt5-raw.js';
import type { NodeProcess } from '../helpers/node-process.js';
import type { RawPacket } from '../helpers/raw-mqtt-client.js';

let cluster: TestCluster;
let node: NodeProcess;
before(async () => {
  cluster = await startCluster({ nodes: 1 });
  node = cluster.nodes[0]!;
});
after(async () => {
  await cluster.stop();
});

function payloadOf(p: RawPacket): string {
  return Buffer.from((p as { payload?: Buffer }).payload ?? Buffer.alloc(0)).toString();
}

test('Redis sessions: 10 queued QoS 1 messages reach a client with Receive Maximum 2, in order, 2 unacknowledged at most', async () => {
  const session = { clientId: 'redis-replay', clean: false, properties: { sessionExpiryInterval: 300 } };
  const first = await rawConnect(node.mqtt.port, session);
  await rawSubscribe(first.client, 'rr/+', 1);
  first.client.send({ cmd: 'disconnect' });
  await first.client.closedByServer();

  // A QoS 1 publish is acknowledged before it is routed: a QoS 0 watcher tells when all went by.
  const pub = await node.connect({ clientId: 'redis-replay-pub', protocolVersion: 5 });
  const watcher = await node.connect({ clientId: 'redis-replay-watch', protocolVersion: 5 });
  await watcher.subscribeAsync('rr/+', { qos: 0 });
  let routed = 0;
  watcher.on('message', () => routed++);
  const expected = Array.from({ length: 10 }, (_, i) => `r${i}`);
  for (const payload of expected) await pub.publishAsync('rr/q', payload, { qos: 1 });
  for (let i = 0; i < 500 && routed < 10; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(routed, 10);
  await watcher.unsubscribeAsync('rr/+');

  const { client, connack } = await rawConnect(node.mqtt.port, { ...session, properties: { sessionExpiryInterval: 300, receiveMaximum: 2 } });
  try {
    assert.equal((connack as { sessionPresent?: boolean }).sessionPresent, true);
    const unacked: RawPacket[] = [];
    const order: string[] = [];
    let maxUnacked = 0;
    let round = 0;
    while (order.length < 10) {
      while (unacked.length < Math.min(2, 10 - order.length + unacked.length)) {
        const p = await nextPacket(client);
        assert.equal(p.cmd, 'publish');
        unacked.push(p);
        order.push(payloadOf(p));
      }
      // A QoS 0 marker is never held: anything written beyond the window arrives before it.
      const marker = `mark-${round++}`;
      await pub.publishAsync('rr/m', marker, { qos: 0 });
      for (;;) {
        const p = await nextPacket(client);
        if (payloadOf(p) === marker) break;
        unacked.push(p);
        order.push(payloadOf(p));
      }
      maxUnacked = Math.max(maxUnacked, unacked.length);
      client.send({ cmd: 'puback', messageId: unacked.shift()!.messageId });
    }
    assert.equal(maxUnacked, 2);
    assert.deepEqual(order, expected);
  } finally {
    client.close();
  }
});
