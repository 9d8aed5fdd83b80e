/**
 * The retainer module on a real broker, observed with MQTT.js (v3.1.1 and v5) and mosquitto
 * clients: storage, deletion, retain handling, shared subscriptions, limits, clearing messages,
 * and what happens while the module is not running.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { retainer, type RetainerConfig, type RetainerService } from '../../src/modules/retainer/index.js';
import type { ModuleContext, ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { type Harness, startHarness } from '../helpers/mqtt-harness.js';

const run = promisify(execFile);
const dirs: string[] = [];
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const base: RetainerConfig = {
  storage_type: 'ram',
  max_retained_messages: 0,
  max_payload_size: '1MB',
  expiry_interval: '0s',
  stop_publish_clear_msg: false,
};

interface Rig {
  h: Harness;
  dataDir: string;
  instance: ModuleInstance | undefined;
  service(): RetainerService;
  start(config?: Partial<RetainerConfig>): Promise<void>;
  stop(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const h = await startHarness();
  const dataDir = await mkdtemp(join(tmpdir(), 'modmq-retainer-it-'));
  dirs.push(dataDir);
  const services = new Map<string, unknown>();
  let n = 0;
  const r: Rig = {
    h,
    dataDir,
    instance: undefined,
    service: () => services.get('retainer') as RetainerService,
    async start(config = {}) {
      const ctx: ModuleContext = {
        moduleId: 'retainer',
        node: { name: h.broker.api.nodeName, dataDir },
        dataDir: async () => dataDir,
        log: pino({ level: 'silent' }),
        metrics: new Registry(),
        broker: h.broker.api,
        hooks: h.broker.hooks.scope(`retainer-${n++}`),
        expose: (name, service) => {
          services.set(name, service);
          return () => services.delete(name);
        },
      };
      r.instance = await retainer.create(ctx, { ...base, ...config });
    },
    async stop() {
      await r.instance?.stop();
      r.instance = undefined;
    },
  };
  return r;
}

/**
 * Subscribes and collects the retained messages that arrive: at least EXPECTED of them, and
 * everything up to a marker published after the SUBACK (retained delivery may still be writing
 * when the marker comes, hence the count; an unexpected extra message shows up in most runs and a
 * missing one always fails).
 */
async function retainedOnSubscribe(
  r: Rig,
  sub: MqttClient,
  subscriptions: Record<string, { qos: 0 | 1 | 2; rh?: 0 | 1 | 2 }>,
  expected: number,
): Promise<Array<{ topic: string; payload: string; retain: boolean; properties?: Record<string, unknown> }>> {
  const marker = `marker/${Math.random().toString(36).slice(2)}`;
  const got: Array<{ topic: string; payload: string; retain: boolean; properties?: Record<string, unknown> }> = [];
  const done = new Promise<void>((resolve) => {
    let markerSeen = false;
    const check = (): void => {
      if (markerSeen && got.length >= expected) {
        sub.off('message', onMessage);
        resolve();
      }
    };
    const onMessage = (topic: string, payload: Buffer, packet: { retain: boolean; properties?: Record<string, unknown> }): void => {
      if (topic === marker) markerSeen = true;
      else got.push({ topic, payload: payload.toString(), retain: packet.retain, ...(packet.properties ? { properties: packet.properties } : {}) });
      check();
    };
    sub.on('message', onMessage);
  });
  // QoS 0 throughout: no acknowledgement round trips between retained deliveries.
  const qos0 = Object.fromEntries(Object.entries(subscriptions).map(([t, o]) => [t, { ...o, qos: 0 }]));
  await sub.subscribeAsync({ ...qos0, [marker]: { qos: 0 } } as never);
  await r.h.broker.api.publish({ topic: marker, payload: 'm', qos: 0 });
  await done;
  return got;
}

describe('retainer over MQTT', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig();
  });
  afterEach(async () => {
    await r.stop();
    await r.h.close();
  });

  for (const protocolVersion of [4, 5] as const) {
    test(`v${protocolVersion}: stored, served to a later subscriber with the retain flag, deleted by an empty payload`, async () => {
      await r.start();
      const pub = await r.h.connect({ protocolVersion });
      await pub.publishAsync('dev/1/state', 'on', { qos: 1, retain: true });
      await pub.publishAsync('dev/2/state', 'off', { qos: 1, retain: true });
      const sub = await r.h.connect({ protocolVersion });
      const first = await retainedOnSubscribe(r, sub, { 'dev/+/state': { qos: 1 } }, 2);
      assert.deepEqual(first.map((m) => [m.topic, m.payload, m.retain]).sort(), [
        ['dev/1/state', 'on', true],
        ['dev/2/state', 'off', true],
      ]);
      // A live subscriber still receives the clearing message (stop_publish_clear_msg false).
      const live = new Promise<string>((resolve) => sub.once('message', (topic, payload) => resolve(`${topic}=${payload.length}`)));
      await pub.publishAsync('dev/1/state', '', { qos: 1, retain: true });
      assert.equal(await live, 'dev/1/state=0');
      const later = await r.h.connect({ protocolVersion });
      const second = await retainedOnSubscribe(r, later, { 'dev/#': { qos: 0 } }, 1);
      assert.deepEqual(second.map((m) => m.topic), ['dev/2/state']);
    });
  }

  test('v5 retain handling: 0 always, 1 only for a new subscription, 2 never', async () => {
    await r.start();
    await r.h.broker.api.publish({ topic: 'rh/t', payload: 'kept', qos: 0, retain: true });
    const sub = await r.h.connect({ protocolVersion: 5 });
    assert.equal((await retainedOnSubscribe(r, sub, { 'rh/t': { qos: 0, rh: 2 } }, 0)).length, 0, 'rh=2');
    await sub.unsubscribeAsync('rh/t');
    assert.equal((await retainedOnSubscribe(r, sub, { 'rh/t': { qos: 0, rh: 1 } }, 1)).length, 1, 'rh=1, new');
    assert.equal((await retainedOnSubscribe(r, sub, { 'rh/t': { qos: 0, rh: 1 } }, 0)).length, 0, 'rh=1, existing');
    assert.equal((await retainedOnSubscribe(r, sub, { 'rh/t': { qos: 0, rh: 0 } }, 1)).length, 1, 'rh=0, existing');
  });

  test('shared subscriptions get no retained messages', async () => {
    await r.start();
    await r.h.broker.api.publish({ topic: 'sh/t', payload: 'kept', qos: 0, retain: true });
    const sub = await r.h.connect({ protocolVersion: 4 });
    assert.deepEqual(await retainedOnSubscribe(r, sub, { '$share/g/sh/t': { qos: 0 } }, 0), []);
    assert.equal((await retainedOnSubscribe(r, sub, { 'sh/t': { qos: 0 } }, 1)).length, 1, 'a plain subscription gets it');
  });

  test('max_payload_size: a bigger message is delivered live but not stored', async () => {
    await r.start({ max_payload_size: '8B' });
    const live = await r.h.connect();
    await live.subscribeAsync('big/#', { qos: 1 });
    const got = new Promise<string>((resolve) => live.once('message', (_t, p) => resolve(p.toString())));
    const pub = await r.h.connect();
    await pub.publishAsync('big/a', '0123456789', { qos: 1, retain: true });
    assert.equal(await got, '0123456789');
    await pub.publishAsync('big/b', 'small', { qos: 1, retain: true });
    const sub = await r.h.connect();
    assert.deepEqual((await retainedOnSubscribe(r, sub, { 'big/#': { qos: 0 } }, 1)).map((m) => m.topic), ['big/b']);
  });

  test('max_retained_messages: new topics refused when full, replacing works', async () => {
    await r.start({ max_retained_messages: 2 });
    const pub = await r.h.connect();
    for (const t of ['lim/a', 'lim/b', 'lim/c']) await pub.publishAsync(t, 'v1', { qos: 1, retain: true });
    await pub.publishAsync('lim/a', 'v2', { qos: 1, retain: true });
    const sub = await r.h.connect();
    const got = await retainedOnSubscribe(r, sub, { 'lim/#': { qos: 0 } }, 2);
    assert.deepEqual(got.map((m) => `${m.topic}=${m.payload}`).sort(), ['lim/a=v2', 'lim/b=v1']);
    assert.equal(r.service().count(), 2);
  });

  test('stop_publish_clear_msg: the clearing message deletes and is not forwarded', async () => {
    await r.start({ stop_publish_clear_msg: true });
    const pub = await r.h.connect({ protocolVersion: 5 });
    await pub.publishAsync('clr/t', 'kept', { qos: 1, retain: true });
    const watcher = await r.h.connect({ protocolVersion: 5 });
    const seen = await retainedOnSubscribe(r, watcher, { 'clr/#': { qos: 1 } }, 1);
    assert.equal(seen.length, 1);
    const topics: string[] = [];
    watcher.on('message', (t, p) => topics.push(`${t}=${p.toString()}`));
    await pub.publishAsync('clr/t', '', { qos: 1, retain: true }); // PUBACK still comes
    await pub.publishAsync('clr/after', 'x', { qos: 1 });
    await new Promise<void>((resolve) => {
      const check = (): void => (topics.includes('clr/after=x') ? resolve() : void setImmediate(check));
      check();
    });
    assert.deepEqual(topics, ['clr/after=x'], 'the empty message was not forwarded, later ones are');
    assert.equal(r.service().count(), 0);
  });

  test('MQTT 5 message expiry travels with the retained message (remaining interval)', async () => {
    await r.start({ expiry_interval: '1h' });
    const pub = await r.h.connect({ protocolVersion: 5 });
    await pub.publishAsync('exp/own', 'a', { qos: 1, retain: true, properties: { messageExpiryInterval: 100, contentType: 'text/plain' } });
    await pub.publishAsync('exp/default', 'b', { qos: 1, retain: true });
    const sub = await r.h.connect({ protocolVersion: 5 });
    const got = await retainedOnSubscribe(r, sub, { 'exp/#': { qos: 1 } }, 2);
    const own = got.find((m) => m.topic === 'exp/own')!;
    const def = got.find((m) => m.topic === 'exp/default')!;
    const ownLeft = own.properties?.messageExpiryInterval as number;
    const defLeft = def.properties?.messageExpiryInterval as number;
    assert.ok(ownLeft > 0 && ownLeft <= 100, `own expiry wins: ${ownLeft}`);
    assert.equal(own.properties?.contentType, 'text/plain');
    assert.ok(defLeft > 100 && defLeft <= 3600, `expiry_interval applies: ${defLeft}`);
  });

  test('while the module is not running the retain flag is ignored; disc storage comes back on re-enable', async () => {
    await r.start({ storage_type: 'disc' });
    const pub = await r.h.connect();
    await pub.publishAsync('off/kept', 'before', { qos: 1, retain: true });
    await r.stop();
    await pub.publishAsync('off/lost', 'during', { qos: 1, retain: true });
    const sub = await r.h.connect();
    assert.deepEqual(await retainedOnSubscribe(r, sub, { 'off/#': { qos: 0 } }, 0), [], 'nothing served while disabled');
    await r.start({ storage_type: 'disc' });
    const sub2 = await r.h.connect();
    assert.deepEqual((await retainedOnSubscribe(r, sub2, { 'off/#': { qos: 0 } }, 1)).map((m) => `${m.topic}=${m.payload}`), ['off/kept=before']);
  });

  test('storage type change keeps serving the same messages', async () => {
    await r.start();
    const pub = await r.h.connect();
    await pub.publishAsync('mv/a', '1', { qos: 1, retain: true });
    await r.instance!.update!({ ...base, storage_type: 'disc' });
    await pub.publishAsync('mv/b', '2', { qos: 1, retain: true });
    await r.instance!.update!({ ...base, storage_type: 'ram' });
    const sub = await r.h.connect();
    assert.deepEqual((await retainedOnSubscribe(r, sub, { 'mv/#': { qos: 0 } }, 2)).map((m) => m.topic).sort(), ['mv/a', 'mv/b']);
  });

  for (const version of ['mqttv311', 'mqttv5'] as const) {
    test(`${version}: mosquitto_pub -r then mosquitto_sub gets it flagged retained; -r -n deletes it`, async () => {
      await r.start();
      const common = ['-h', '127.0.0.1', '-p', String(r.h.port()), '-V', version];
      const topic = `mosq/ret/${version}`;
      await run('mosquitto_pub', [...common, '-q', '1', '-r', '-t', topic, '-m', 'kept']);
      // --retained-only: prints retained messages and exits at the first live one (or -W).
      const { stdout } = await run('mosquitto_sub', [...common, '-C', '1', '-t', topic, '-F', '%r %t %p']);
      assert.equal(stdout.trim(), `1 ${topic} kept`);
      await run('mosquitto_pub', [...common, '-q', '1', '-r', '-n', '-t', topic]);
      assert.equal(r.service().count(), 0);
    });
  }
});
