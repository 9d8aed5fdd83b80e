/**
 * Server-sent DISCONNECT reason codes. 0x95 (packet too large) is proven in mqtt5-packet-size,
 * 0x93 (receive maximum exceeded) in mqtt5-flow-control, 0x8D (keep alive timeout) in
 * mqtt5-keepalive-client-id and 0x94 (topic alias invalid) in mqtt5-topic-alias.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import mqtt from 'mqtt';
import { startHarness, waitFor } from '../helpers/mqtt-harness.js';
import { packetsUntilClose, rawConnect } from '../helpers/mqtt5-raw.js';
import { mosquitto } from '../helpers/mqtt5.js';

/** Resolves with the reason code of the DISCONNECT MQTT.js receives. */
function disconnectReason(client: mqtt.MqttClient): Promise<number | undefined> {
  return new Promise((resolve) => client.once('disconnect', (packet) => resolve(packet.reasonCode)));
}

describe('server-sent DISCONNECT', () => {
  test('session taken over: the first v5 connection gets 0x8E, a 3.1.1 one just closes', async () => {
    const h = await startHarness();
    try {
      const first = h.open({ protocolVersion: 5, clientId: 'twin' });
      await new Promise((r) => first.once('connect', r));
      const reason = disconnectReason(first);
      await h.connect({ protocolVersion: 5, clientId: 'twin' });
      assert.equal(await reason, 0x8e);

      const old = await rawConnect(h.port(), { clientId: 'twin-v4', protocolVersion: 4 });
      const closed = packetsUntilClose(old.client);
      await h.connect({ protocolVersion: 4, clientId: 'twin-v4' });
      assert.deepEqual(await closed, []);
    } finally {
      await h.close();
    }
  });

  test('broker shutdown: v5 clients get 0x8B, 3.1.1 clients see the socket close', async () => {
    const h = await startHarness();
    // Opened outside the harness so only the shutdown closes them.
    const v5 = await mqtt.connectAsync({ host: '127.0.0.1', port: h.port(), protocolVersion: 5, clientId: 'bye5', reconnectPeriod: 0 });
    v5.on('error', () => undefined);
    const reason = disconnectReason(v5);
    const v4 = await rawConnect(h.port(), { clientId: 'bye4', protocolVersion: 4 });
    const v4closed = packetsUntilClose(v4.client);
    await waitFor(() => h.broker.api.client('bye5') !== undefined && h.broker.api.client('bye4') !== undefined);
    await h.close();
    assert.equal(await reason, 0x8b);
    assert.deepEqual(await v4closed, []);
    await v5.endAsync(true);
  });

  test('mosquitto_sub -V mqttv5 is told the session was taken over', async () => {
    const h = await startHarness();
    try {
      const seen = new Promise<void>((resolve) => {
        const scope = h.broker.hooks.scope('watch');
        scope.clientConnected((c) => {
          if (c.clientId === 'mosq-twin') setImmediate(() => (scope.dispose(), resolve()));
        });
      });
      const run = mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5', '-d', '-i', 'mosq-twin', '-t', 'x/y', '-C', '1']).exited;
      await seen;
      await h.connect({ protocolVersion: 5, clientId: 'mosq-twin' });
      const { out } = await run;
      assert.match(out, /Received DISCONNECT \(142\)|session taken over/i, out);
    } finally {
      await h.close();
    }
  });
});
