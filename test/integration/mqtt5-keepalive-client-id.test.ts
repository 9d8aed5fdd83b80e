import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startHarness } from '../helpers/mqtt-harness.js';
import { nextPacket, packetsUntilClose, rawConnect } from '../helpers/mqtt5-raw.js';
import { RawMqttClient } from '../helpers/raw-mqtt-client.js';

describe('MQTT 5 Server Keep Alive', () => {
  test('mqtt.server_keepalive: CONNACK carries it, and it replaces the client keep alive (even 0)', async () => {
    const h = await startHarness({ mqtt5: { serverKeepalive: 1 } });
    try {
      const js = h.open({ protocolVersion: 5, keepalive: 60 });
      const connack = await new Promise<{ properties?: Record<string, unknown> }>((resolve) => js.once('connect', resolve));
      assert.equal(connack.properties?.serverKeepAlive, 1);

      // Keep alive 0 would mean "never"; the server's 1 s applies: silent -> DISCONNECT 0x8D.
      const { client, connack: raw } = await rawConnect(h.port(), { clientId: 'ka-zero', keepalive: 0 });
      assert.equal(raw.properties?.serverKeepAlive, 1);
      const packets = await packetsUntilClose(client);
      assert.deepEqual(
        packets.map((p) => [p.cmd, p.reasonCode]),
        [['disconnect', 0x8d]],
      );
    } finally {
      await h.close();
    }
  });

  test('a client that pings within the server keep alive stays connected', async () => {
    const h = await startHarness({ mqtt5: { serverKeepalive: 2 } });
    try {
      const { client } = await rawConnect(h.port(), { clientId: 'ka-pinger', keepalive: 600 });
      // Rounds spanning more than 1.5 x 2 s in total, each well inside it.
      for (let i = 0; i < 8; i++) {
        await new Promise((r) => setTimeout(r, 500));
        client.send({ cmd: 'pingreq' });
        assert.equal((await client.next())?.cmd, 'pingresp');
      }
      client.close();
    } finally {
      await h.close();
    }
  });

  test('without server_keepalive: no Server Keep Alive in CONNACK; the client keep alive is enforced with 0x8D', async () => {
    const h = await startHarness();
    try {
      const { client, connack } = await rawConnect(h.port(), { clientId: 'ka-own', keepalive: 1 });
      assert.equal(connack.properties?.serverKeepAlive, undefined);
      const packets = await packetsUntilClose(client);
      assert.equal(packets.at(-1)?.cmd, 'disconnect');
      assert.equal(packets.at(-1)?.reasonCode, 0x8d);
    } finally {
      await h.close();
    }
  });

  test('MQTT 3.1.1 keeps its own keep alive and just sees the socket close on timeout', async () => {
    const h = await startHarness({ mqtt5: { serverKeepalive: 600 } });
    try {
      const { client, connack } = await rawConnect(h.port(), { clientId: 'ka-v4', keepalive: 1, protocolVersion: 4 });
      assert.equal((connack as { returnCode?: number }).returnCode, 0);
      // Timed out on its own 1 s, not the server's 600 s, and without a DISCONNECT packet.
      const packets = await packetsUntilClose(client);
      assert.deepEqual(packets, []);
    } finally {
      await h.close();
    }
  });
});

describe('MQTT 5 Assigned Client Identifier', () => {
  test('an empty client id gets a unique one in CONNACK, and the broker knows the client by it', async () => {
    const h = await startHarness();
    try {
      const a = await rawConnect(h.port(), { clientId: '' });
      const b = await rawConnect(h.port(), { clientId: '' });
      const idA = a.connack.properties?.assignedClientIdentifier;
      const idB = b.connack.properties?.assignedClientIdentifier;
      assert.equal(typeof idA, 'string');
      assert.ok((idA as string).length > 0);
      assert.notEqual(idA, idB);
      assert.ok(h.broker.api.client(idA as string) !== undefined, 'listed under the assigned id');
      // A client that named itself gets no assigned id.
      const named = await rawConnect(h.port(), { clientId: 'named' });
      assert.equal(named.connack.properties?.assignedClientIdentifier, undefined);
      // The assigned id works like any other: the client can publish and subscribe.
      a.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'aci/t', qos: 1 }] });
      assert.equal((await nextPacket(a.client)).cmd, 'suback');
      for (const s of [a, b, named]) s.client.close();
    } finally {
      await h.close();
    }
  });

  test('MQTT 3.1.1: an empty id with clean session is accepted (no property to carry an id)', async () => {
    const h = await startHarness();
    try {
      const { connack, client } = await rawConnect(h.port(), { clientId: '', protocolVersion: 4 });
      assert.equal((connack as { returnCode?: number }).returnCode, 0);
      client.close();
      // With clean session 0 it is refused, 0x02 identifier rejected (MQTT 3.1.1 3.1.3-8).
      // Written by hand: mqtt-packet will not encode this CONNECT.
      const refused = await RawMqttClient.connectTcp(h.port(), 4);
      refused.socket.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00]));
      const answer = await refused.next();
      assert.equal(answer?.cmd, 'connack');
      assert.equal((answer as { returnCode?: number }).returnCode, 2);
      refused.close();
    } finally {
      await h.close();
    }
  });
});
