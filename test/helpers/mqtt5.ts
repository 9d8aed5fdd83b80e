import { spawn } from 'node:child_process';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Harness } from './mqtt-harness.js';

/** One received PUBLISH as the test sees it. */
export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties: IPublishPacket['properties'];
}

/** Records every message a client receives, from now on. */
export function collect(client: MqttClient): Received[] {
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, properties: packet.properties });
  });
  return got;
}

/** Connects (MQTT 5 by default) and resolves with the client and its CONNACK, attaching `collect` before CONNACK. */
export async function connectWithAck(
  h: Harness,
  options: IClientOptions,
): Promise<{ client: MqttClient; sessionPresent: boolean; got: Received[] }> {
  const client = h.open({ protocolVersion: 5, ...options });
  const got = collect(client);
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    client.once('connect', (packet) => resolve(packet));
    client.once('error', reject);
  });
  return { client, sessionPresent: connack.sessionPresent, got };
}

/**
 * Waits until everything `publisher` sent before now has reached `subscriber`: the subscriber
 * listens on a fresh barrier topic and the publisher sends one QoS 1 message there. Messages from
 * one publisher to one subscriber keep their order, so once the barrier arrives nothing older is
 * still on its way. Resolves with the messages received before the barrier and removes them
 * (and the barrier) from `got`.
 */
export async function drain(publisher: MqttClient, subscriber: MqttClient, got: Received[]): Promise<Received[]> {
  const topic = `barrier/${Math.random().toString(36).slice(2)}`;
  await subscriber.subscribeAsync(topic, { qos: 1 });
  await publisher.publishAsync(topic, 'barrier', { qos: 1 });
  for (let i = 0; i < 500; i++) {
    const index = got.findIndex((m) => m.topic === topic);
    if (index >= 0) {
      // Everything up to the barrier, taken out of `got` (the next drain starts after it).
      return got.splice(0, index + 1).filter((m) => !m.topic.startsWith('barrier/'));
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('barrier message never arrived');
}

/** Polls until `check` holds (bounded; the runner's timeout bounds it too). */
export async function until(check: () => boolean, what = 'condition', tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a mosquitto client to completion: `done` resolves with stdout (rejects on a non-zero exit). */
export function mosquitto(command: 'mosquitto_pub' | 'mosquitto_sub', args: string[]): { done: Promise<string>; exited: Promise<{ code: number | null; out: string }>; kill(): void } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  // `done`: stdout of a successful run; `exited`: the exit code with everything printed, for tests that check it themselves.
  const done = closed.then((code) => (code === 0 ? out : Promise.reject(new Error(`${command} exited ${code}: ${err}${out}`))));
  const exited = closed.then((code) => ({ code, out: out + err }));
  // A test awaits one of the two: the other must not become an unhandled rejection.
  done.catch(() => undefined);
  exited.catch(() => undefined);
  return { done, exited, kill: () => child.kill() };
}

/**
 * Once this resolves a watcher listens on aedes' `$SYS/+/new/subscribes`; `ready` settles when
 * CLIENT ID has subscribed (its subscription is live then). Start the subscriber only after this
 * resolves, or its announcement can be missed.
 */
export async function watchSubscription(h: Harness, clientId: string): Promise<{ ready: Promise<void> }> {
  const watcher = await h.connect({ protocolVersion: 5 });
  const ready = new Promise<void>((resolve) => {
    watcher.on('message', (_topic, payload) => {
      if ((JSON.parse(payload.toString()) as { clientId?: string }).clientId === clientId) resolve();
    });
  });
  await watcher.subscribeAsync('$SYS/+/new/subscribes', { qos: 0 });
  return { ready };
}
