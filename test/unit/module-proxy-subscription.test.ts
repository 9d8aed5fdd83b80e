import { test } from 'node:test';
import assert from 'node:assert/strict';
import { moduleContext } from '../helpers/module-context.js';
import { createFakeBroker, type FakeBroker } from '../helpers/fake-broker.js';
import { proxySubscription, type ProxyTopicConfig } from '../../src/modules/proxy-subscription/index.js';
import { compileTopic, expandTopic } from '../../src/modules/proxy-subscription/topic-template.js';

const context = (fake: FakeBroker, id = 'proxy-subscription') => moduleContext(fake, id);

const topic = (t: string, extra: Partial<ProxyTopicConfig> = {}): ProxyTopicConfig => ({
  topic: t, qos: 0, nl: false, rap: false, rh: 0, ...extra,
});

test('on connect, subscribes the client with placeholders substituted and options passed', async () => {
  const fake = createFakeBroker();
  const instance = await proxySubscription.create(context(fake), {
    topics: [topic('client/%c/inbox', { qos: 1, nl: true, rap: true, rh: 2 }), topic('user/%u/#', { qos: 2 }), topic('broadcast')],
  });
  fake.connect({ clientId: 'dev1', username: 'bob', protoVer: 5 });
  assert.deepEqual(fake.subscribed, [
    {
      clientId: 'dev1',
      subscriptions: [
        { topic: 'client/dev1/inbox', qos: 1, nl: true, rap: true, rh: 2 },
        { topic: 'user/bob/#', qos: 2, nl: false, rap: false, rh: 0 },
        { topic: 'broadcast', qos: 0, nl: false, rap: false, rh: 0 },
      ],
    },
  ]);
  await instance.stop();
});

test('a %u topic is skipped for a client without username; the others still apply', async () => {
  const fake = createFakeBroker();
  const instance = await proxySubscription.create(context(fake), { topics: [topic('u/%u'), topic('c/%c')] });
  fake.connect({ clientId: 'anon' });
  assert.deepEqual(fake.subscribed[0]?.subscriptions.map((s) => s.topic), ['c/anon']);
  await instance.stop();
});

test('no subscribe call when every topic is skipped', async () => {
  const fake = createFakeBroker();
  const instance = await proxySubscription.create(context(fake), { topics: [topic('%u')] });
  fake.connect({ clientId: 'anon' });
  assert.equal(fake.subscribed.length, 0);
  await instance.stop();
});

test('placeholders count only as whole levels', () => {
  const client = { clientId: 'id', username: 'u' };
  assert.deepEqual(expandTopic(compileTopic('a/x%c/%c'), client), { ok: true, topic: 'a/x%c/id' });
  assert.deepEqual(expandTopic(compileTopic('%u%c'), client), { ok: true, topic: '%u%c' });
  assert.deepEqual(expandTopic(compileTopic('%u/%c'), client), { ok: true, topic: 'u/id' });
});

test('empty and invalid results are skipped', () => {
  assert.deepEqual(expandTopic(compileTopic('%c'), { clientId: '', username: undefined }), { ok: false, reason: 'empty_topic' });
  assert.deepEqual(expandTopic(compileTopic('a/%c'), { clientId: 'x/#/y', username: undefined }), { ok: false, reason: 'invalid_topic' });
  assert.deepEqual(expandTopic(compileTopic('a/%u'), { clientId: 'x', username: 'p+q' }), { ok: false, reason: 'invalid_topic' });
  assert.deepEqual(expandTopic(compileTopic('a/%u'), { clientId: 'x', username: undefined }), { ok: false, reason: 'username_undefined' });
});

test('hot update applies to clients connecting afterwards', async () => {
  const fake = createFakeBroker();
  const instance = await proxySubscription.create(context(fake), { topics: [topic('old')] });
  fake.connect({ clientId: 'a' });
  await instance.update!({ topics: [topic('new/%c', { qos: 1 })] });
  fake.connect({ clientId: 'b' });
  assert.deepEqual(fake.subscribed.map((s) => s.subscriptions.map((x) => x.topic)), [['old'], ['new/b']]);
  await instance.stop();
});

test('stop removes the hook', async () => {
  const fake = createFakeBroker();
  const instance = await proxySubscription.create(context(fake), { topics: [topic('t')] });
  assert.equal(fake.hookCount(), 1);
  await instance.stop();
  assert.equal(fake.hookCount(), 0);
  fake.connect({ clientId: 'a' });
  assert.equal(fake.subscribed.length, 0);
});

test('a rejected subscribe is logged, never thrown', async () => {
  const fake = createFakeBroker();
  fake.api.subscribeClient = async () => {
    throw new Error('gone');
  };
  const instance = await proxySubscription.create(context(fake), { topics: [topic('t')] });
  assert.doesNotThrow(() => fake.connect({ clientId: 'a' }));
  await new Promise((r) => setImmediate(r));
  await instance.stop();
});

test('check() reports invalid filters with their pointer', () => {
  const problems = proxySubscription.check!({ topics: [topic('ok/+'), topic('bad/#/x'), topic('a+b')] });
  assert.deepEqual(problems.map((p) => [p.pointer, p.keyword]), [
    ['/topics/1/topic', 'topic-filter'],
    ['/topics/2/topic', 'topic-filter'],
  ]);
  assert.deepEqual(proxySubscription.check!({ topics: [topic('a/%c/%u/#')] }), []);
});
