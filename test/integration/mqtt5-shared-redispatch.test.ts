import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { startHarness } from '../helpers/mqtt-harness.js';
import { collect, drain, until } from '../helpers/mqtt5.js';

/**
 * A member that receives but never acknowledges: MQTT.js acks from inside its message handling,
 * so a handleMessage that never calls back holds every PUBACK (its subscription is QoS 1).
 */
async function silentMember(port: number, protocolVersion: 4 | 5, filter: string, received: string[]): Promise<MqttClient> {
  const client = await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion, reconnectPeriod: 0 });
  client.handleMessage = (packet, _callback) => {
    received.push(String(packet.payload));
  };
  await client.subscribeAsync(filter, { qos: 1 });
  return client;
}

// Shared subscriptions [4.8.2]: a member that goes away without acknowledging its QoS 1/2
// messages does not lose them; the group's other members get them.
describe('shared subscriptions: re-dispatch of a leaving member’s unacknowledged messages', () => {
  for (const protocolVersion of [5, 4] as const) {
    test(`MQTT ${protocolVersion === 5 ? '5' : '3.1.1'}: unacked QoS 1/2 messages go to another member when the connection drops`, async () => {
      const h = await startHarness();
      try {
        const filter = protocolVersion === 5 ? '$share/work/jobs/+' : '$queue/jobs/+';
        const group = protocolVersion === 5 ? '$share/work/jobs/+' : '$share/$queue/jobs/+';
        const held: string[] = [];
        const silent = await silentMember(h.port(), protocolVersion, filter, held);
        const worker = await h.connect({ protocolVersion });
        const done = collect(worker);
        await worker.subscribeAsync(filter, { qos: 2 });
        await until(() => h.broker.shared.localMembers(group) === 2, 'two members');
        const pub = await h.connect({ protocolVersion });
        for (let i = 0; i < 6; i++) {
          await pub.publishAsync(`jobs/${i}`, `job ${i}`, { qos: i % 2 === 0 ? 1 : 2, properties: { messageExpiryInterval: 600, userProperties: { n: String(i) } } });
        }
        // round_robin: three each. The silent member stops reading after the first (MQTT.js handles
        // one packet at a time and this one never finishes), the others wait unacknowledged.
        await until(() => held.length === 1 && done.length === 3, 'three and three dispatched');
        silent.stream.destroy();
        await until(() => done.length === 6, 'the held jobs re-dispatched');
        assert.deepEqual(done.map((m) => m.payload).sort(), ['job 0', 'job 1', 'job 2', 'job 3', 'job 4', 'job 5']);
        for (const m of protocolVersion === 5 ? done : []) {
          // Properties survive the re-dispatch; the expiry interval never grows.
          assert.equal(m.properties?.userProperties?.n, m.payload.slice(4));
          const left = m.properties?.messageExpiryInterval;
          assert.ok(left !== undefined && left > 0 && left <= 600, `expiry ${left}`);
        }
        // Nothing twice: a barrier after the re-dispatch shows no extra copy.
        assert.equal((await drain(pub, worker, done)).length, 6);
        await silent.endAsync(true);
      } finally {
        await h.close();
      }
    });
  }

  test('acknowledged messages are not re-dispatched; an UNSUBSCRIBE keeps the in-flight ones with their member', async () => {
    const h = await startHarness();
    try {
      const a = await h.connect({ protocolVersion: 5 });
      const b = await h.connect({ protocolVersion: 5 });
      const [gotA, gotB] = [collect(a), collect(b)];
      await a.subscribeAsync('$share/acked/t', { qos: 1 });
      await b.subscribeAsync('$share/acked/t', { qos: 1 });
      const pub = await h.connect({ protocolVersion: 5 });
      for (let i = 0; i < 4; i++) await pub.publishAsync('t', `m${i}`, { qos: 1 });
      await until(() => gotA.length + gotB.length === 4, 'all four');
      // publishAsync resolved: a's PUBACKs were written before the barrier below returns.
      await drain(pub, a, gotA);
      await a.unsubscribeAsync('$share/acked/t');
      await a.endAsync();
      const extra = await drain(pub, b, gotB);
      assert.equal(extra.length, 2, 'b got its own two, nothing re-dispatched');
    } finally {
      await h.close();
    }
  });

  test('a persistent member gets shared messages without errors and keeps its membership across a reconnect', async () => {
    const h = await startHarness();
    try {
      const options = { protocolVersion: 5 as const, clientId: 'shared-persistent', clean: false, properties: { sessionExpiryInterval: 60 } };
      const member = await h.connect(options);
      const got = collect(member);
      await member.subscribeAsync('$share/p/pt', { qos: 1 });
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('pt', 'one', { qos: 1 });
      await until(() => got.length === 1, 'delivered to the persistent member');
      await member.endAsync();
      const again = await h.connect(options);
      const gotAgain = collect(again);
      await until(() => h.broker.shared.localMembers('$share/p/pt') === 1, 'rejoined');
      await pub.publishAsync('pt', 'two', { qos: 1 });
      await until(() => gotAgain.length === 1, 'delivered after the reconnect');
      assert.equal(gotAgain[0]!.payload, 'two');
    } finally {
      await h.close();
    }
  });
});
