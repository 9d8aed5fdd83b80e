/**
 * acl-file on a real broker over MQTT.js: SUBACK codes, denied publishes not delivered, %u rules,
 * the chain with a second authorize module and acl_nomatch, and the ACL cache flushed by a hot update.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { AclDecision } from '../../src/broker/hooks.js';
import { aclFile, type AclFileConfig } from '../../src/modules/acl-file/index.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { DEFAULT_SETTINGS, type ClusterSettings } from '../../src/store/cluster-document.js';
import { moduleContext } from '../helpers/module-context.js';
import { type Harness, nextMessages, startHarness, subscribeGranted } from '../helpers/mqtt-harness.js';

const settings = (over: Partial<ClusterSettings>): ClusterSettings => ({ ...structuredClone(DEFAULT_SETTINGS), ...over });

const CONFIG: AclFileConfig = {
  rules: [
    { permission: 'allow', who: { kind: 'user', value: 'admin' }, access: 'pubsub', topics: [{ filter: 'secret/#' }] },
    { permission: 'deny', who: { kind: 'all' }, access: 'subscribe', topics: [{ filter: 'secret/#' }, { eq: '#' }] },
    { permission: 'deny', who: { kind: 'all' }, access: 'publish', topics: [{ filter: 'secret/#' }] },
    { permission: 'allow', who: { kind: 'all' }, access: 'pubsub', topics: [{ filter: 'users/%u/#' }] },
    { permission: 'deny', who: { kind: 'all' }, access: 'pubsub', topics: [{ filter: 'users/#' }] },
  ],
};

/** Publishes `denied` then `marker` on one connection; returns the first message SUB receives. */
async function firstDelivered(pub: MqttClient, sub: MqttClient, denied: string, marker: string): Promise<string> {
  const got = nextMessages(sub);
  await pub.publishAsync(denied, 'denied', { qos: 1 }).catch(() => undefined); // v5: PUBACK 0x87
  await pub.publishAsync(marker, 'marker', { qos: 1 });
  return (await got)[0]!.topic;
}

describe('acl-file over MQTT', () => {
  let h: Harness;
  let instance: ModuleInstance<AclFileConfig>;
  before(async () => {
    h = await startHarness({ settings: { acl_nomatch: 'allow' } });
    h.broker.hooks.setOrder(['acl', 'other']);
    instance = await aclFile.create(moduleContext(h.broker, 'acl'), structuredClone(CONFIG));
  });
  after(async () => {
    await instance.stop();
    await h.close();
  });

  test('subscribe denied -> SUBACK 0x87 (v5) / 0x80 (v3); allowed and unmatched topics granted', async () => {
    const v5 = await h.connect({ protocolVersion: 5, clientId: 'v5', username: 'bob' });
    assert.deepEqual(await subscribeGranted(v5, { 'secret/a': { qos: 1 }, '#': { qos: 1 }, 'open/a': { qos: 1 } }), {
      'secret/a': 0x87,
      '#': 0x87,
      'open/a': 1,
    });
    const v3 = await h.connect({ protocolVersion: 4, clientId: 'v3', username: 'bob' });
    assert.deepEqual(await subscribeGranted(v3, { 'secret/a': { qos: 1 }, 'open/b': { qos: 0 } }), { 'secret/a': 0x80, 'open/b': 0 });
    const admin = await h.connect({ protocolVersion: 5, clientId: 'adm', username: 'admin' });
    assert.deepEqual(await subscribeGranted(admin, { 'secret/a': { qos: 1 } }), { 'secret/a': 1 });
  });

  test('a denied publish is not delivered (v3 and v5); an allowed one is', async () => {
    const admin = await h.connect({ protocolVersion: 5, clientId: 'adm-sub', username: 'admin' });
    await admin.subscribeAsync(['secret/#', 'marker/#'], { qos: 1 });
    for (const protocolVersion of [4, 5] as const) {
      const pub = await h.connect({ protocolVersion, clientId: `pub${protocolVersion}`, username: 'bob' });
      assert.equal(await firstDelivered(pub, admin, 'secret/x', `marker/${protocolVersion}`), `marker/${protocolVersion}`);
      assert.equal(pub.connected, true);
    }
    const adminPub = await h.connect({ protocolVersion: 4, clientId: 'adm-pub', username: 'admin' });
    const got = nextMessages(admin);
    await adminPub.publishAsync('secret/ok', 'x', { qos: 1 });
    assert.equal((await got)[0]!.topic, 'secret/ok');
  });

  test('%u topics: own tree allowed, others denied, no username -> the rule does not match', async () => {
    const alice = await h.connect({ protocolVersion: 5, clientId: 'alice-c', username: 'alice' });
    assert.deepEqual(await subscribeGranted(alice, { 'users/alice/#': { qos: 1 }, 'users/bob/#': { qos: 1 } }), {
      'users/alice/#': 1,
      'users/bob/#': 0x87,
    });
    const anon = await h.connect({ protocolVersion: 5, clientId: 'anon-c' });
    assert.deepEqual(await subscribeGranted(anon, { 'users/%u/#': { qos: 1 } }), { 'users/%u/#': 0x87 });
  });

  test('the chain: no acl-file match goes to the next module, then acl_nomatch', async () => {
    const other = h.broker.hooks.scope('other');
    other.authorize((_c, _a, topic): AclDecision => (topic.startsWith('chain/other-deny') ? { result: 'deny' } : { result: 'ignore' }));
    try {
      const c = await h.connect({ protocolVersion: 5, clientId: 'chain', username: 'carol' });
      assert.deepEqual(await subscribeGranted(c, { 'chain/other-deny': { qos: 1 }, 'chain/free': { qos: 1 }, 'secret/z': { qos: 1 } }), {
        'chain/other-deny': 0x87,
        'chain/free': 1,
        'secret/z': 0x87,
      });
      h.broker.setSettings(settings({ acl_nomatch: 'deny' }));
      const d = await h.connect({ protocolVersion: 5, clientId: 'chain2', username: 'carol' });
      assert.deepEqual(await subscribeGranted(d, { 'chain/free2': { qos: 1 }, 'users/carol/x': { qos: 1 } }), {
        'chain/free2': 0x87,
        'users/carol/x': 1,
      });
    } finally {
      h.broker.setSettings(settings({ acl_nomatch: 'allow' }));
      other.dispose();
    }
  });

  test('a hot update takes effect on the next check: the ACL cache is flushed', async () => {
    const sub = await h.connect({ protocolVersion: 5, clientId: 'hot-sub', username: 'admin' });
    await sub.subscribeAsync(['hot/#', 'marker/#'], { qos: 1 });
    const pub = await h.connect({ protocolVersion: 4, clientId: 'hot-pub', username: 'dave' });
    // Allowed (acl_nomatch) and now cached for this client.
    let got = nextMessages(sub);
    await pub.publishAsync('hot/t', 'before', { qos: 1 });
    assert.equal((await got)[0]!.payload, 'before');
    await instance.update!({ rules: [...CONFIG.rules, { permission: 'deny', who: { kind: 'all' }, access: 'publish', topics: [{ filter: 'hot/#' }] }] });
    assert.equal(await firstDelivered(pub, sub, 'hot/t', 'marker/hot'), 'marker/hot');
    await instance.update!(structuredClone(CONFIG));
    got = nextMessages(sub);
    await pub.publishAsync('hot/t', 'after', { qos: 1 });
    assert.equal((await got)[0]!.payload, 'after');
  });
});
