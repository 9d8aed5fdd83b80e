import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IClientOptions, MqttClient } from 'mqtt';
import { startHarness } from '../helpers/mqtt-harness.js';
import { collect, connectWithAck, drain, mosquitto, until } from '../helpers/mqtt5.js';

/** Drops the TCP connection without DISCONNECT (what a crash looks like to the broker). */
function crash(client: MqttClient): void {
  client.stream.destroy();
}

function willOptions(topic: string, willDelayInterval: number | undefined, sessionExpiryInterval: number): IClientOptions {
  return {
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval },
    will: {
      topic,
      payload: Buffer.from('gone'),
      qos: 1,
      retain: false,
      properties: {
        ...(willDelayInterval !== undefined ? { willDelayInterval } : {}),
        contentType: 'text/will',
        responseTopic: 'will/reply',
        correlationData: Buffer.from('cd'),
        userProperties: { why: ['crash', 'again'] },
      },
    },
  };
}

// Will Message with Will Delay Interval [3.1.3.2.2] and DISCONNECT 0x04 [3.14.2.1].
describe('MQTT 5 will messages', () => {
  test('a will with a delay is sent after it, with its properties (and no Will Delay Interval)', async () => {
    const h = await startHarness();
    try {
      const watcher = await h.connect({ protocolVersion: 5 });
      const got = collect(watcher);
      await watcher.subscribeAsync('will/+', { qos: 1 });
      const dying = await h.connect({ clientId: 'delayed-will', ...willOptions('will/delayed', 1, 30) });
      crash(dying);
      await until(() => got.length === 1, 'the delayed will');
      const p = got[0]!.properties!;
      assert.equal(got[0]!.payload, 'gone');
      assert.equal(p.contentType, 'text/will');
      assert.equal(p.responseTopic, 'will/reply');
      assert.deepEqual(p.correlationData, Buffer.from('cd'));
      assert.deepEqual({ ...p.userProperties }, { why: ['crash', 'again'] });
      assert.equal((p as Record<string, unknown>).willDelayInterval, undefined);
    } finally {
      await h.close();
    }
  });

  test('reconnecting within the Will Delay Interval cancels the will', async () => {
    const h = await startHarness();
    try {
      const watcher = await h.connect({ protocolVersion: 5 });
      const got = collect(watcher);
      await watcher.subscribeAsync('willc/+', { qos: 1 });
      const options = { clientId: 'cancel-will', ...willOptions('willc/x', 60, 120) };
      crash(await h.connect(options));
      await until(() => h.broker.api.client('cancel-will') === undefined, 'disconnect seen');
      const back = await connectWithAck(h, { ...options, will: undefined });
      await back.client.endAsync();
      const pub = await h.connect({ protocolVersion: 5 });
      assert.deepEqual(await drain(pub, watcher, got), []);
    } finally {
      await h.close();
    }
  });

  test('the will delay is capped by the session expiry', async () => {
    const h = await startHarness();
    try {
      const watcher = await h.connect({ protocolVersion: 5 });
      const got = collect(watcher);
      await watcher.subscribeAsync('willcap/+', { qos: 1 });
      crash(await h.connect({ clientId: 'capped-will', ...willOptions('willcap/x', 3600, 1) }));
      await until(() => got.length === 1, 'the will at session end', 1000);
      assert.equal(got[0]!.topic, 'willcap/x');
    } finally {
      await h.close();
    }
  });

  test('DISCONNECT 0x04 sends the will; DISCONNECT 0x00 does not', async () => {
    const h = await startHarness();
    try {
      const watcher = await h.connect({ protocolVersion: 5 });
      const got = collect(watcher);
      await watcher.subscribeAsync('willd/+', { qos: 1 });
      const normal = await h.connect({ clientId: 'normal-exit', ...willOptions('willd/normal', undefined, 0) });
      await normal.endAsync(false, { reasonCode: 0 });
      const withWill = await h.connect({ clientId: 'will-exit', ...willOptions('willd/with', undefined, 0) });
      await withWill.endAsync(false, { reasonCode: 0x04 });
      await until(() => got.length >= 1, 'the 0x04 will');
      const pub = await h.connect({ protocolVersion: 5 });
      assert.deepEqual((await drain(pub, watcher, got)).map((m) => m.topic), ['willd/with']);
    } finally {
      await h.close();
    }
  });

  test('a clean start on reconnect ends the old session: its pending delayed will is sent', async () => {
    const h = await startHarness();
    try {
      const watcher = await h.connect({ protocolVersion: 5 });
      const got = collect(watcher);
      await watcher.subscribeAsync('willcs/+', { qos: 1 });
      const options = { clientId: 'clean-restart', ...willOptions('willcs/x', 60, 120) };
      crash(await h.connect(options));
      await until(() => h.broker.api.client('clean-restart') === undefined, 'disconnect seen');
      await h.connect({ ...options, clean: true, will: undefined });
      await until(() => got.length === 1, 'the will of the ended session');
      assert.equal(got[0]!.topic, 'willcs/x');
    } finally {
      await h.close();
    }
  });

  test('3.1.1: the will is sent on a dropped connection, not on DISCONNECT', async () => {
    const h = await startHarness();
    try {
      const watcher = await h.connect({ protocolVersion: 4 });
      const got = collect(watcher);
      await watcher.subscribeAsync('will4/+', { qos: 1 });
      const will = (topic: string): IClientOptions => ({ protocolVersion: 4, will: { topic, payload: Buffer.from('bye'), qos: 1, retain: false } });
      await (await h.connect(will('will4/clean'))).endAsync();
      crash(await h.connect(will('will4/crash')));
      await until(() => got.length >= 1, 'the 3.1.1 will');
      const pub = await h.connect({ protocolVersion: 4 });
      assert.deepEqual((await drain(pub, watcher, got)).map((m) => m.topic), ['will4/crash']);
    } finally {
      await h.close();
    }
  });

  test('mosquitto_sub -V mqttv5 receives the will of a crashed MQTT 5 client with its properties', async () => {
    const h = await startHarness();
    try {
      const seen = new Set<string>();
      h.broker.hooks.scope('watch').authorize((c, action) => {
        if (action === 'subscribe') seen.add(c.clientId);
        return { result: 'ignore' };
      });
      const sub = mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5', '-i', 'mosq-will', '-q', '1', '-t', 'mw/+', '-C', '1', '-W', '20', '-F', '%t|%p|%C|%P']);
      await until(() => seen.has('mosq-will'), 'mosquitto_sub subscribed');
      // Let the SUBSCRIBE reach the router (authorized a moment before): a probe message first.
      const probe = await h.connect({ protocolVersion: 5 });
      const dying = await h.connect({ clientId: 'mosq-will-client', ...willOptions('mw/x', 0, 0) });
      await probe.endAsync();
      crash(dying);
      assert.equal((await sub.done).trim(), 'mw/x|gone|text/will|why:crash why:again');
    } finally {
      await h.close();
    }
  });
});
