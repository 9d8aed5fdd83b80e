import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AclDecision } from '../../src/broker/hooks.js';
import { DEFAULT_SETTINGS, type ClusterSettings } from '../../src/store/cluster-document.js';
import { type Harness, nextMessages, startHarness, subscribeGranted, waitFor } from '../helpers/mqtt-harness.js';

const settings = (over: Partial<ClusterSettings>): ClusterSettings => ({ ...structuredClone(DEFAULT_SETTINGS), ...over });

describe('authorization chain', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('subscribe deny -> SUBACK 0x80 (v3) and 0x87 (v5); allowed topics still granted', async () => {
    const scope = h.broker.hooks.scope('acl');
    scope.authorize((_c, action, topic): AclDecision => (action === 'subscribe' && topic.startsWith('secret/') ? { result: 'deny' } : { result: 'ignore' }));
    const v4 = await h.connect({ protocolVersion: 4 });
    const g4 = await subscribeGranted(v4, { 'secret/a': { qos: 1 }, 'open/a': { qos: 1 } });
    assert.deepEqual(g4, { 'secret/a': 128, 'open/a': 1 });
    const v5 = await h.connect({ protocolVersion: 5 });
    const g5 = await subscribeGranted(v5, { 'secret/b': { qos: 1 }, 'open/b': { qos: 2 } });
    assert.deepEqual(g5, { 'secret/b': 0x87, 'open/b': 2 });
    scope.dispose();
  });

  test('publish deny drops the message (ignore); acl_nomatch decides when all ignore', async () => {
    const scope = h.broker.hooks.scope('acl');
    const seen: string[] = [];
    scope.authorize((_c, action, topic) => {
      if (action === 'publish') seen.push(topic);
      return action === 'publish' && topic === 'blocked/x' ? { result: 'deny' } : { result: 'ignore' };
    });
    const sub = await h.connect({ protocolVersion: 4 });
    await sub.subscribeAsync('blocked/#', { qos: 1 });
    const got = nextMessages(sub);
    for (const protocolVersion of [4, 5] as const) {
      const pub = await h.connect({ protocolVersion });
      if (protocolVersion === 5) {
        // v5: PUBACK carries 0x87 (MQTT.js rejects), the connection stays up.
        await assert.rejects(pub.publishAsync('blocked/x', 'no', { qos: 1 }), /Not authorized/);
      } else {
        await pub.publishAsync('blocked/x', 'no', { qos: 1 });
      }
      await pub.publishAsync('blocked/y', `yes${protocolVersion}`, { qos: 1 });
      assert.equal(pub.connected, true);
    }
    const [first] = await got;
    assert.equal(first!.topic, 'blocked/y');
    assert.equal(first!.payload, 'yes4');

    h.broker.setSettings(settings({ acl_nomatch: 'deny' }));
    const pub = await h.connect({ protocolVersion: 4 });
    const got2 = nextMessages(sub);
    await pub.publishAsync('blocked/z', 'nomatch-deny', { qos: 1 });
    h.broker.setSettings(settings({ acl_nomatch: 'allow' }));
    await pub.publishAsync('blocked/z', 'nomatch-allow', { qos: 1 });
    const [m] = await got2;
    assert.equal(m!.payload, 'nomatch-allow');
    scope.dispose();
  });

  test('superuser bypasses the ACL', async () => {
    const auth = h.broker.hooks.scope('auth');
    auth.authenticate(({ client }) => (client.username === 'root' ? { result: 'allow', superuser: true } : { result: 'ignore' }));
    const acl = h.broker.hooks.scope('acl');
    acl.authorize(() => ({ result: 'deny' }));
    const root = await h.connect({ username: 'root' });
    assert.deepEqual(await subscribeGranted(root, { 'any/thing': { qos: 0 } }), { 'any/thing': 0 });
    const user = await h.connect({ username: 'user' });
    assert.deepEqual(await subscribeGranted(user, { 'any/thing': { qos: 0 } }), { 'any/thing': 128 });
    auth.dispose();
    acl.dispose();
  });

  test('acl_deny_action=disconnect closes v3 and v5 publishers', async () => {
    h.broker.setSettings(settings({ acl_deny_action: 'disconnect' }));
    const scope = h.broker.hooks.scope('acl');
    scope.authorize((_c, action) => (action === 'publish' ? { result: 'deny' } : { result: 'ignore' }));
    const reasons: string[] = [];
    scope.clientDisconnected((_c, reason) => reasons.push(reason));
    for (const protocolVersion of [4, 5] as const) {
      const c = await h.connect({ protocolVersion });
      c.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
      c.publish('x/y', 'z', { qos: 0 });
      await closed;
    }
    await waitFor(() => reasons.filter((r) => r === 'not_authorized').length === 2, 'two not_authorized disconnects');
    h.broker.setSettings(settings({}));
    scope.dispose();
  });

  test('ACL results are cached and flushed when an authorize hook changes', async () => {
    let calls = 0;
    const scope = h.broker.hooks.scope('counting');
    scope.authorize(() => {
      calls++;
      return { result: 'allow' };
    });
    const c = await h.connect({ protocolVersion: 4 });
    await c.subscribeAsync('cache/t', { qos: 1 });
    const got = nextMessages(c, 3);
    for (let i = 0; i < 3; i++) await c.publishAsync('cache/t', String(i), { qos: 1 });
    await got;
    assert.equal(calls, 2); // one subscribe + one publish decision; the other publishes hit the cache
    const other = h.broker.hooks.scope('other');
    other.authorize(() => ({ result: 'ignore' }));
    const got2 = nextMessages(c);
    await c.publishAsync('cache/t', 'again', { qos: 1 });
    await got2;
    assert.equal(calls, 3);
    scope.dispose();
    other.dispose();
  });
});

describe('topic rewrite', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('publish: ACL on the original topic, then rewrite; subscribe: rewrite then ACL; unsubscribe rewritten too', async () => {
    const acl: Array<[string, string]> = [];
    const scope = h.broker.hooks.scope('rewrite');
    scope.rewriteTopic((_c, _action, topic) => (topic.startsWith('old/') ? `new/${topic.slice(4)}` : topic));
    scope.authorize((_c, action, topic) => {
      acl.push([action, topic]);
      return { result: 'ignore' };
    });
    for (const protocolVersion of [4, 5] as const) {
      acl.length = 0;
      const sub = await h.connect({ protocolVersion });
      await sub.subscribeAsync(`old/${protocolVersion}/#`, { qos: 1 });
      assert.deepEqual(acl, [['subscribe', `new/${protocolVersion}/#`]]);
      const got = nextMessages(sub);
      const pub = await h.connect({ protocolVersion });
      await pub.publishAsync(`old/${protocolVersion}/a`, 'rewritten', { qos: 1 });
      const [m] = await got;
      assert.equal(m!.topic, `new/${protocolVersion}/a`);
      assert.deepEqual(acl[1], ['publish', `old/${protocolVersion}/a`]);

      // Unsubscribing the original filter removes the rewritten subscription.
      await sub.unsubscribeAsync(`old/${protocolVersion}/#`);
      const later = h.open({ protocolVersion });
      await new Promise((r) => later.once('connect', r));
      await later.subscribeAsync(`new/${protocolVersion}/#`, { qos: 1 });
      const gotLater = nextMessages(later);
      let leaked = false;
      sub.on('message', () => {
        leaked = true;
      });
      await pub.publishAsync(`new/${protocolVersion}/b`, 'after unsubscribe', { qos: 1 });
      await gotLater;
      assert.equal(leaked, false);
    }
    scope.dispose();
  });

  test('api.publish skips the ACL but is rewritten', async () => {
    const scope = h.broker.hooks.scope('rw');
    scope.rewriteTopic((client, _a, topic) => (client === null && topic === 'sys/in' ? 'sys/out' : topic));
    scope.authorize((_c, action) => (action === 'publish' ? { result: 'deny' } : { result: 'ignore' }));
    const sub = await h.connect();
    await sub.subscribeAsync('sys/#', { qos: 1 });
    const got = nextMessages(sub);
    await h.broker.api.publish({ topic: 'sys/in', payload: 'from broker', qos: 1 });
    const [m] = await got;
    assert.equal(m!.topic, 'sys/out');
    assert.equal(m!.payload, 'from broker');
    scope.dispose();
  });
});

describe('subscribeClient', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ retained: true });
  });
  after(async () => {
    await h.close();
  });

  test('subscribes through rewrite and ACL and delivers retained messages', async () => {
    await h.broker.api.publish({ topic: 'proxy/kept', payload: 'retained', qos: 1, retain: true });
    const scope = h.broker.hooks.scope('acl');
    scope.authorize((_c, action, topic) => (action === 'subscribe' && topic === 'proxy/denied' ? { result: 'deny' } : { result: 'ignore' }));
    scope.rewriteTopic((_c, action, topic) => (action === 'subscribe' && topic === 'alias' ? 'proxy/kept' : topic));
    for (const protocolVersion of [4, 5] as const) {
      const clientId = `proxied-${protocolVersion}`;
      const c = h.open({ protocolVersion, clientId });
      await new Promise((r) => c.once('connect', r));
      await waitFor(() => h.broker.api.client(clientId) !== undefined);
      const got = nextMessages(c);
      const granted = await h.broker.api.subscribeClient(clientId, [
        { topic: 'alias', qos: 1, nl: true, rh: 0 },
        { topic: 'proxy/denied', qos: 0 },
      ]);
      assert.deepEqual(granted, [1, 128]);
      const [m] = await got;
      assert.equal(m!.topic, 'proxy/kept');
      assert.equal(m!.payload, 'retained');
      assert.equal(m!.retain, true);
    }
    await assert.rejects(h.broker.api.subscribeClient('nobody', [{ topic: 'a', qos: 0 }]));
    scope.dispose();
  });
});
