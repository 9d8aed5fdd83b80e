import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { startHarness } from '../helpers/mqtt-harness.js';

/** Collects the payloads a client receives. */
function collect(client: MqttClient): string[] {
  const got: string[] = [];
  client.on('message', (_topic, payload) => got.push(payload.toString()));
  return got;
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'condition not reached');
}

test('v5: one member per group gets each message; groups and plain subscribers each get a copy', async () => {
  const h = await startHarness();
  try {
    const [g1, g2, other, plain, pub] = await Promise.all([1, 2, 3, 4, 5].map(() => h.connect({ protocolVersion: 5 })));
    const granted = await g1!.subscribeAsync('$share/g/t/+', { qos: 1 });
    assert.equal(granted[0]!.qos, 1);
    await g2!.subscribeAsync('$share/g/t/+', { qos: 1 });
    await other!.subscribeAsync('$share/h/t/+', { qos: 1 });
    await plain!.subscribeAsync('t/+', { qos: 1 });
    const [a, b, c, d] = [collect(g1!), collect(g2!), collect(other!), collect(plain!)];
    for (let i = 0; i < 6; i++) await pub!.publishAsync('t/x', String(i), { qos: 1 });
    await waitFor(() => a.length + b.length === 6 && c.length === 6 && d.length === 6);
    // round_robin (the default): an even split, every message exactly once in the group.
    assert.equal(a.length, 3);
    assert.equal(b.length, 3);
    assert.deepEqual([...a, ...b].sort(), ['0', '1', '2', '3', '4', '5']);
    assert.equal(h.broker.shared.localMembers('$share/g/t/+'), 2);
  } finally {
    await h.close();
  }
});

test('3.1.1: $queue/<filter> shares between members; unsubscribe and disconnect leave the group', async () => {
  const h = await startHarness();
  try {
    const [q1, q2, pub] = await Promise.all([1, 2, 3].map(() => h.connect({ protocolVersion: 4 })));
    await q1!.subscribeAsync('$queue/jobs', { qos: 1 });
    await q2!.subscribeAsync('$queue/jobs', { qos: 1 });
    const [a, b] = [collect(q1!), collect(q2!)];
    for (let i = 0; i < 4; i++) await pub!.publishAsync('jobs', `a${i}`, { qos: 1 });
    await waitFor(() => a.length + b.length === 4);
    assert.equal(a.length, 2);

    await q1!.unsubscribeAsync('$queue/jobs');
    assert.equal(h.broker.shared.localMembers('$share/$queue/jobs'), 1);
    for (let i = 0; i < 3; i++) await pub!.publishAsync('jobs', `b${i}`, { qos: 1 });
    await waitFor(() => b.length === 5);
    assert.equal(a.length, 2);

    await q1!.subscribeAsync('$queue/jobs', { qos: 1 });
    await q2!.endAsync();
    await waitFor(() => h.broker.shared.localMembers('$share/$queue/jobs') === 1);
    for (let i = 0; i < 3; i++) await pub!.publishAsync('jobs', `c${i}`, { qos: 1 });
    await waitFor(() => a.length === 5);
    assert.deepEqual(a.slice(2), ['c0', 'c1', 'c2']);
  } finally {
    await h.close();
  }
});

test('retained messages are not sent on a shared subscription', async () => {
  const h = await startHarness({ retained: true });
  try {
    const [pub, sub] = await Promise.all([1, 2].map(() => h.connect({ protocolVersion: 5 })));
    await pub!.publishAsync('r/1', 'old', { qos: 1, retain: true });
    const got = collect(sub!);
    await sub!.subscribeAsync('$share/g/r/+', { qos: 1 });
    await pub!.publishAsync('r/1', 'live', { qos: 1 });
    await waitFor(() => got.length >= 1);
    assert.deepEqual(got, ['live']);
  } finally {
    await h.close();
  }
});

test('mosquitto_sub -V mqttv5 receives on a $share filter', async () => {
  const h = await startHarness();
  try {
    const sub = spawn('mosquitto_sub', ['-V', 'mqttv5', '-h', '127.0.0.1', '-p', String(h.port()), '-t', '$share/m/mq/t', '-q', '1', '-C', '1', '-W', '10']);
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => h.broker.shared.localMembers('$share/m/mq/t') === 1);
    const pub = await h.connect({ protocolVersion: 5 });
    await pub.publishAsync('mq/t', 'hello', { qos: 1 });
    const [code] = await once(sub, 'close'); // close: stdout drained, not just the process gone
    assert.equal(code, 0);
    assert.equal(out.trim(), 'hello');
  } finally {
    await h.close();
  }
});

test('ACL and rewrite see the inner filter of a shared subscription', async () => {
  const h = await startHarness();
  try {
    const seen: string[] = [];
    const scope = h.broker.hooks.scope('test:acl');
    scope.rewriteTopic((_c, action, topic) => (action === 'subscribe' && topic === 'old/t' ? 'new/t' : topic));
    scope.authorize((_c, action, topic) => {
      if (action === 'subscribe') seen.push(topic);
      return topic === 'secret' ? { result: 'deny' } : { result: 'allow' };
    });
    const [sub, pub] = await Promise.all([1, 2].map(() => h.connect({ protocolVersion: 5 })));
    // MQTT.js rejects a SUBACK with a failure code; the packet rides on the error.
    const denied = await sub!.subscribeAsync('$share/g/secret', { qos: 1 }).then(
      () => undefined,
      (error: { packet?: { granted?: number[] } }) => error.packet?.granted,
    );
    assert.deepEqual(denied, [0x87]);
    await sub!.subscribeAsync('$share/g/old/t', { qos: 1 });
    assert.deepEqual(seen, ['secret', 'new/t']);
    const got = collect(sub!);
    await pub!.publishAsync('new/t', 'rewritten', { qos: 1 });
    await waitFor(() => got.length === 1);
    await sub!.unsubscribeAsync('$share/g/old/t');
    assert.equal(h.broker.shared.localMembers('$share/g/new/t'), 0);
  } finally {
    await h.close();
  }
});
