/**
 * Mountpoints granted by an authenticate hook, over real sockets with MQTT.js (MQTT 3.1.1 and 5).
 * Absence of a delivery is never waited for: a later "sentinel" message on the same connection
 * proves that nothing came before it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { AclAction, ClientInfo } from '../../src/broker/hooks.js';
import { connectError, type Harness, nextMessages, startHarness, subscribeGranted, waitFor } from '../helpers/mqtt-harness.js';

describe('mountpoints', () => {
  let h: Harness;
  const aclSeen: Array<{ action: AclAction; topic: string }> = [];
  const rewriteSeen: Array<{ action: AclAction; topic: string }> = [];

  before(async () => {
    h = await startHarness({ retained: true });
    const scope = h.broker.hooks.scope('test:mount');
    // alice/bob/eve: tenant/%u/; dev-*: dev/%c/%u/; anybody else: no mountpoint.
    scope.authenticate(({ client }) => {
      if (client.clientId.startsWith('dev-')) return { result: 'allow', mountpoint: 'dev/%c/%u/' };
      if (client.username === 'observer' || client.username === undefined) return { result: 'allow' };
      return { result: 'allow', mountpoint: 'tenant/%u/' };
    });
    scope.authorize((client: ClientInfo, action, topic) => {
      if (client.username === 'audited') aclSeen.push({ action, topic });
      return { result: 'ignore' };
    });
    scope.rewriteTopic((client, action, topic) => {
      if (client?.username === 'audited') rewriteSeen.push({ action, topic });
      return topic;
    });
  });
  after(async () => {
    await h.close();
  });

  for (const protocolVersion of [4, 5] as const) {
    describe(`MQTT ${protocolVersion === 4 ? '3.1.1' : '5'}`, () => {
      const v = protocolVersion;
      let observer: MqttClient;
      before(async () => {
        observer = await h.connect({ protocolVersion: v, clientId: `observer-${v}`, username: 'observer' });
      });
      after(async () => {
        await observer.endAsync();
      });

      test('a mounted client publishing t reaches a subscriber of tenant/alice/t', async () => {
        await observer.subscribeAsync(`tenant/alice${v}/t`, { qos: 1 });
        const alice = await h.connect({ protocolVersion: v, clientId: `alice-pub-${v}`, username: `alice${v}` });
        await waitFor(() => h.broker.api.client(`alice-pub-${v}`) !== undefined, "client registered");
        assert.equal(h.broker.api.client(`alice-pub-${v}`)?.mountpoint, `tenant/alice${v}/`);
        const got = nextMessages(observer);
        await alice.publishAsync('t', 'hello', { qos: 1 });
        const [m] = await got;
        assert.equal(m!.topic, `tenant/alice${v}/t`);
        assert.equal(m!.payload, 'hello');
        await alice.endAsync();
        await observer.unsubscribeAsync(`tenant/alice${v}/t`);
      });

      test('a mounted subscription of t receives tenant/alice/t as t; unsubscribe t removes it', async () => {
        const alice = await h.connect({ protocolVersion: v, clientId: `alice-sub-${v}`, username: `alice${v}` });
        await alice.subscribeAsync(['t', 'sentinel'], { qos: 1 });
        let got = nextMessages(alice);
        await observer.publishAsync(`tenant/alice${v}/t`, 'one', { qos: 1 });
        let [m] = await got;
        assert.equal(m!.topic, 't');
        assert.equal(m!.payload, 'one');

        // Outside the mountpoint: not matched by the mounted subscription.
        got = nextMessages(alice);
        await observer.publishAsync('t', 'unmounted', { qos: 1 });
        await observer.publishAsync(`tenant/alice${v}/sentinel`, 's1', { qos: 1 });
        [m] = await got;
        assert.deepEqual([m!.topic, m!.payload], ['sentinel', 's1']);

        await alice.unsubscribeAsync('t');
        got = nextMessages(alice);
        await observer.publishAsync(`tenant/alice${v}/t`, 'after-unsub', { qos: 1 });
        await observer.publishAsync(`tenant/alice${v}/sentinel`, 's2', { qos: 1 });
        [m] = await got;
        assert.deepEqual([m!.topic, m!.payload], ['sentinel', 's2']);
        await alice.endAsync();
      });

      test('wildcard subscriptions are mounted and the QoS is downgraded to the subscription', async () => {
        const alice = await h.connect({ protocolVersion: v, clientId: `alice-wild-${v}`, username: `alice${v}` });
        await alice.subscribeAsync({ 'w/#': { qos: 1 }, exact: { qos: 0 } });
        const got = nextMessages(alice, 2);
        await observer.publishAsync(`tenant/alice${v}/w/x/y`, 'wild', { qos: 1 });
        await observer.publishAsync(`tenant/alice${v}/exact`, 'q', { qos: 1 });
        const [a, b] = await got;
        assert.deepEqual([a!.topic, a!.payload, a!.qos], ['w/x/y', 'wild', 1]);
        assert.deepEqual([b!.topic, b!.payload, b!.qos], ['exact', 'q', 0]);
        await alice.endAsync();
      });

      test('two clients with different mountpoints are isolated', async () => {
        const alice = await h.connect({ protocolVersion: v, clientId: `iso-alice-${v}`, username: `alice${v}` });
        const bob = await h.connect({ protocolVersion: v, clientId: `iso-bob-${v}`, username: `bob${v}` });
        await alice.subscribeAsync(['t', '#'], { qos: 1 });
        await bob.subscribeAsync(['t', '#'], { qos: 1 });
        const aliceGot = nextMessages(alice);
        const bobGot = nextMessages(bob);
        // Alice's publish is routed (and would be written to bob) before her PUBACK arrives.
        await alice.publishAsync('t', 'from-alice', { qos: 1 });
        await bob.publishAsync('t', 'from-bob', { qos: 1 });
        const [b] = await bobGot;
        assert.deepEqual([b!.topic, b!.payload], ['t', 'from-bob']);
        // Alice gets her own message (once: aedes de-duplicates overlapping subscriptions).
        const [a] = await aliceGot;
        assert.deepEqual([a!.topic, a!.payload], ['t', 'from-alice']);
        await alice.endAsync();
        await bob.endAsync();
      });

      test('the will of a mounted client is published under its mountpoint', async () => {
        await observer.subscribeAsync(`tenant/eve${v}/will`, { qos: 1 });
        const eve = await h.connect({
          protocolVersion: v,
          clientId: `eve-${v}`,
          username: `eve${v}`,
          will: { topic: 'will', payload: Buffer.from('gone'), qos: 1, retain: false },
        });
        const got = nextMessages(observer);
        eve.stream.destroy();
        const [m] = await got;
        assert.deepEqual([m!.topic, m!.payload], [`tenant/eve${v}/will`, 'gone']);
        await observer.unsubscribeAsync(`tenant/eve${v}/will`);
      });

      test('retained messages work through the mount in both directions', async () => {
        await observer.publishAsync(`tenant/alice${v}/r/in`, 'kept-in', { qos: 1, retain: true });
        const alice = await h.connect({ protocolVersion: v, clientId: `alice-ret-${v}`, username: `alice${v}` });
        let got = nextMessages(alice);
        await alice.subscribeAsync('r/+', { qos: 1 });
        const [m] = await got;
        assert.deepEqual([m!.topic, m!.payload, m!.retain], ['r/in', 'kept-in', true]);

        await alice.publishAsync('r2', 'kept-out', { qos: 1, retain: true });
        const other = await h.connect({ protocolVersion: v, clientId: `ret-reader-${v}`, username: 'observer' });
        got = nextMessages(other);
        await other.subscribeAsync(`tenant/alice${v}/r2`, { qos: 1 });
        const [n] = await got;
        assert.deepEqual([n!.topic, n!.payload, n!.retain], [`tenant/alice${v}/r2`, 'kept-out', true]);
        await alice.endAsync();
        await other.endAsync();
      });
    });
  }

  test('%c is expanded and an absent username leaves %u as is', async () => {
    const observer = await h.connect({ protocolVersion: 5, clientId: 'observer-dev' });
    await observer.subscribeAsync('dev/#', { qos: 1 });
    const dev = await h.connect({ protocolVersion: 4, clientId: 'dev-7' });
    const got = nextMessages(observer);
    await dev.publishAsync('x', 'd', { qos: 1 });
    const [m] = await got;
    assert.equal(m!.topic, 'dev/dev-7/%u/x');
    await dev.endAsync();
    await observer.endAsync();
  });

  test('a username that expands the mountpoint into a wildcard is refused', async () => {
    assert.equal((await connectError(h.port(), { protocolVersion: 4, clientId: 'plus', username: '+' })).code, 5);
    assert.equal((await connectError(h.port(), { protocolVersion: 5, clientId: 'hash', username: '#' })).code, 0x87);
  });

  test('ACL sees the original topic and filter; rewrite sees the mounted publish topic and the unmounted filter', async () => {
    aclSeen.length = 0;
    rewriteSeen.length = 0;
    const c = await h.connect({ protocolVersion: 5, clientId: 'audited-1', username: 'audited' });
    assert.deepEqual(await subscribeGranted(c, { 'f/+': { qos: 1 } }), { 'f/+': 1 });
    const got = nextMessages(c);
    await c.publishAsync('f/1', 'x', { qos: 1 });
    const [m] = await got;
    assert.equal(m!.topic, 'f/1');
    await waitFor(() => aclSeen.length >= 2, 'acl calls');
    assert.deepEqual(aclSeen, [
      { action: 'subscribe', topic: 'f/+' },
      { action: 'publish', topic: 'f/1' },
    ]);
    // EMQX 4.x: subscribe rewrite ('client.subscribe') before mounting, publish rewrite ('message.publish') after.
    assert.deepEqual(rewriteSeen, [
      { action: 'subscribe', topic: 'f/+' },
      { action: 'publish', topic: 'tenant/audited/f/1' },
    ]);
    await c.endAsync();
  });

  test('a persistent session keeps its mounted subscriptions across a reconnect', async () => {
    const opts = { protocolVersion: 4 as const, clientId: 'alice-persist', username: 'persist', clean: false };
    const first = await h.connect(opts);
    await first.subscribeAsync('p', { qos: 1 });
    await first.endAsync();
    const second = await h.connect(opts);
    const observer = await h.connect({ protocolVersion: 4, clientId: 'observer-persist', username: 'observer' });
    const got = nextMessages(second);
    await observer.publishAsync('tenant/persist/p', 'again', { qos: 1 });
    const [m] = await got;
    assert.deepEqual([m!.topic, m!.payload], ['p', 'again']);
    await second.endAsync();
    // Queued while offline (stored with the mounted topic), delivered unmounted on reconnect.
    await observer.publishAsync('tenant/persist/p', 'queued', { qos: 1 });
    const third = h.open(opts);
    const [q] = await nextMessages(third);
    assert.deepEqual([q!.topic, q!.payload], ['p', 'queued']);
    await third.endAsync();
    await observer.endAsync();
  });
});
