import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { nextMessages, startHarness, subscribeGranted, waitFor } from '../helpers/mqtt-harness.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';

describe('sessions and disconnect reasons', () => {
  test('a restored persistent subscription is not rewritten twice and still honours the ACL', async () => {
    const h = await startHarness();
    try {
      const rewrites: string[] = [];
      const scope = h.broker.hooks.scope('rw');
      scope.rewriteTopic((_c, action, topic) => {
        if (action === 'subscribe') rewrites.push(topic);
        return action === 'subscribe' && topic.startsWith('x/') ? `x/${topic}` : topic;
      });
      const clientId = 'restore-me';
      const first = await h.connect({ clientId, clean: false, protocolVersion: 4 });
      await first.subscribeAsync('x/a', { qos: 1 });
      assert.deepEqual(rewrites, ['x/a']);
      await first.endAsync();
      const again = h.open({ clientId, clean: false, protocolVersion: 4 });
      await new Promise((r) => again.once('connect', r));
      assert.deepEqual(rewrites, ['x/a']);
      const got = nextMessages(again);
      await h.broker.api.publish({ topic: 'x/x/a', payload: 'to restored', qos: 1 });
      assert.equal((await got)[0]!.topic, 'x/x/a');
      scope.dispose();
    } finally {
      await h.close();
    }
  });

  test('keepalive timeout and broker shutdown give keepalive_timeout and kicked', async () => {
    const h = await startHarness();
    const reasons = new Map<string, string>();
    const scope = h.broker.hooks.scope('presence');
    scope.clientDisconnected((c, reason) => reasons.set(c.clientId, reason));
    // A raw client that connects with keepalive 1 s and then never pings.
    const socket = net.connect(h.port(), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    await new Promise((r) => socket.once('connect', r));
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'sleepy', keepalive: 1 }));
    await waitFor(() => reasons.get('sleepy') === 'keepalive_timeout', 'keepalive timeout');
    socket.destroy();

    // Not opened through the harness, so only the broker's shutdown closes it.
    const victim = await mqtt.connectAsync({ host: '127.0.0.1', port: h.port(), clientId: 'victim', reconnectPeriod: 0 });
    victim.on('error', () => undefined);
    await waitFor(() => h.broker.api.client('victim') !== undefined);
    await h.close();
    assert.equal(reasons.get('victim'), 'kicked');
    await victim.endAsync(true);
  });

  test('subscribe deny with acl_deny_action=disconnect: SUBACK refusal, then the client is closed', async () => {
    const h = await startHarness({ settings: { ...structuredClone(DEFAULT_SETTINGS), acl_deny_action: 'disconnect' } });
    try {
      const scope = h.broker.hooks.scope('acl');
      scope.authorize((_c, action) => (action === 'subscribe' ? { result: 'deny' } : { result: 'ignore' }));
      const c = await h.connect({ protocolVersion: 4 });
      c.on('error', () => undefined);
      const closed = new Promise<void>((r) => c.once('close', () => r()));
      assert.deepEqual(await subscribeGranted(c, { 'no/way': { qos: 1 } }), { 'no/way': 128 });
      await closed;
      scope.dispose();
    } finally {
      await h.close();
    }
  });
});
