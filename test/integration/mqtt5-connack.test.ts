import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import mqtt from 'mqtt';
import { type Harness, nextMessages, startHarness } from '../helpers/mqtt-harness.js';
import { watchSubscription, mosquitto } from '../helpers/mqtt5.js';
import { rawConnect } from '../helpers/mqtt5-raw.js';

async function connackOf(h: Harness, options: Parameters<Harness['open']>[0] = {}): Promise<Record<string, unknown>> {
  const c = h.open({ protocolVersion: 5, ...options });
  const connack = await new Promise<{ properties?: Record<string, unknown> }>((resolve) => c.once('connect', resolve));
  return connack.properties ?? {};
}

describe('MQTT 5 CONNACK advertises what the broker supports', () => {
  test('defaults: shared, wildcard and identifier subscriptions available; the node limits', async () => {
    const h = await startHarness({ retained: true });
    try {
      const props = await connackOf(h);
      assert.equal(props.sharedSubscriptionAvailable, true);
      assert.equal(props.wildcardSubscriptionAvailable, true);
      assert.equal(props.subscriptionIdentifiersAvailable, true);
      assert.equal(props.retainAvailable, true);
      assert.equal(props.receiveMaximum, 32);
      assert.equal(props.maximumPacketSize, 1024 * 1024);
      assert.equal(props.topicAliasMaximum, 65535);
      // Maximum QoS 2 is the default and must not be sent as a value.
      assert.equal(props.maximumQoS, undefined);
    } finally {
      await h.close();
    }
  });

  test('retainAvailable is false while no retained store (retainer module) is registered', async () => {
    const h = await startHarness();
    try {
      assert.equal((await connackOf(h)).retainAvailable, false);
      h.broker.hooks.scope('late').retainedStore({ store: () => undefined, remove: () => undefined, match: () => [] });
      assert.equal((await connackOf(h)).retainAvailable, true);
    } finally {
      await h.close();
    }
  });

  test('a shared subscription advertised as available really works for a v5 client', async () => {
    const h = await startHarness();
    try {
      const member = await h.connect({ protocolVersion: 5 });
      const [granted] = await member.subscribeAsync('$share/g/ca/t', { qos: 1 });
      assert.equal(granted?.qos, 1);
      const got = nextMessages(member);
      const pub = await h.connect({ protocolVersion: 5 });
      await pub.publishAsync('ca/t', 'to the group', { qos: 1 });
      assert.equal((await got)[0]!.payload, 'to the group');
    } finally {
      await h.close();
    }
  });

  test('enhanced authentication keeps its properties next to ours', async () => {
    const h = await startHarness();
    try {
      h.broker.hooks.scope('ea').enhancedAuth(({ method }) =>
        method === 'TEST-OK' ? { step: () => ({ result: 'allow', data: Buffer.from('fin') }) } : undefined,
      );
      const { connack, client } = await rawConnect(h.port(), { clientId: 'ea', properties: { authenticationMethod: 'TEST-OK' } });
      assert.equal(connack.reasonCode, 0);
      assert.equal(connack.properties?.authenticationMethod, 'TEST-OK');
      assert.deepEqual(connack.properties?.authenticationData, Buffer.from('fin'));
      assert.equal(connack.properties?.sharedSubscriptionAvailable, true);
      client.close();
    } finally {
      await h.close();
    }
  });

  test('a refused v5 CONNECT gets a plain refusal CONNACK', async () => {
    const h = await startHarness({ settings: { allow_anonymous: false } });
    try {
      const { connack, client } = await rawConnect(h.port(), { clientId: 'anon' });
      assert.notEqual(connack.reasonCode, 0);
      assert.equal(connack.properties?.sharedSubscriptionAvailable, undefined);
      client.close();
    } finally {
      await h.close();
    }
  });

  test('mosquitto_sub -V mqttv5 on $share gets the message', async () => {
    const h = await startHarness();
    try {
      const { ready: subscribed } = await watchSubscription(h, 'mosq-share');
      const run = mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5', '-i', 'mosq-share', '-t', '$share/g/ca/mosq', '-C', '1']).exited;
      await subscribed;
      await h.broker.api.publish({ topic: 'ca/mosq', payload: 'shared hello', qos: 0 });
      const { code, out } = await run;
      assert.equal(code, 0, out);
      assert.equal(out.trim(), 'shared hello');
    } finally {
      await h.close();
    }
  });

  test('over WebSocket too', async () => {
    const h = await startHarness({ listeners: { ws: { enable: true, bind: '127.0.0.1', port: 0, path: '/mqtt' } } });
    try {
      const c = mqtt.connect(`ws://127.0.0.1:${h.port('ws')}/mqtt`, { protocolVersion: 5, reconnectPeriod: 0, properties: { receiveMaximum: 1 } });
      c.on('error', () => undefined);
      try {
        const connack = await new Promise<{ properties?: Record<string, unknown> }>((resolve) => c.once('connect', resolve));
        assert.equal(connack.properties?.sharedSubscriptionAvailable, true);
        // Flow control works on this transport as well: three QoS 1 messages through a window of 1.
        await c.subscribeAsync('ca/ws', { qos: 1 });
        const got = nextMessages(c, 3);
        for (let i = 0; i < 3; i++) await h.broker.api.publish({ topic: 'ca/ws', payload: `w${i}`, qos: 1 });
        assert.deepEqual((await got).map((m) => m.payload), ['w0', 'w1', 'w2']);
      } finally {
        await c.endAsync(true);
      }
    } finally {
      await h.close();
    }
  });

  test('MQTT 3.1.1 CONNACK is unchanged: no properties', async () => {
    const h = await startHarness();
    try {
      const { connack, client } = await rawConnect(h.port(), { clientId: 'old', protocolVersion: 4 });
      assert.equal((connack as { returnCode?: number }).returnCode, 0);
      assert.equal(connack.properties, undefined);
      client.close();
    } finally {
      await h.close();
    }
  });
});
