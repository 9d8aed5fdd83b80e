import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { type Broker, type BoundListener, createBroker } from '../../src/broker/broker.js';
import type { NodeConfig } from '../../src/node/node-config.js';
import { DEFAULT_MQTT5_LIMITS, type Mqtt5Limits } from '../../src/broker/mqtt5-limits.js';
import type { RetainedMessage, RetainedStore } from '../../src/broker/hooks.js';
import { matchTopic } from '../../src/broker/topic.js';
import { type ClusterSettings, DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';

export interface Harness {
  broker: Broker;
  metrics: Registry;
  bound: BoundListener[];
  /** Port of the named listener. */
  port(name?: string): number;
  /** Connects an MQTT.js client to the tcp listener; closed by `close()`. */
  connect(options?: IClientOptions): Promise<MqttClient>;
  /** Like connect but returns at once (attach listeners before CONNACK arrives). */
  open(options?: IClientOptions): MqttClient;
  close(): Promise<void>;
}

export function listenersConfig(overrides: Partial<NodeConfig['listeners']> = {}): NodeConfig['listeners'] {
  return {
    tcp: { enable: true, bind: '127.0.0.1', port: 0 },
    tls: { enable: false, bind: '127.0.0.1', port: 0 },
    ws: { enable: false, bind: '127.0.0.1', port: 0, path: '/mqtt' },
    wss: { enable: false, bind: '127.0.0.1', port: 0, path: '/mqtt' },
    ...overrides,
  };
}

/** A broker on free ports with a silent logger. */
export async function startHarness(
  options: {
    settings?: Partial<ClusterSettings>;
    listeners?: Partial<NodeConfig['listeners']>;
    nodeName?: string;
    /** Register a plain in-memory RetainedStore (the raw broker ignores the retain flag without one). */
    retained?: boolean;
    /** MQTT 5 limits over the defaults (node config `mqtt.*`). */
    mqtt5?: Partial<Mqtt5Limits>;
  } = {},
): Promise<Harness> {
  const metrics = new Registry();
  const broker = await createBroker({
    nodeName: options.nodeName ?? 'test@127.0.0.1',
    log: pino({ level: process.env.MODMQ_TEST_LOG ?? 'silent' }),
    metrics,
    settings: { ...structuredClone(DEFAULT_SETTINGS), ...options.settings },
    ...(options.mqtt5 !== undefined ? { mqtt5: { ...DEFAULT_MQTT5_LIMITS, ...options.mqtt5 } } : {}),
  });
  if (options.retained === true) broker.hooks.scope('test:retained').retainedStore(memoryRetainedStore());
  const bound = await broker.listen(listenersConfig(options.listeners));
  const clients: MqttClient[] = [];
  const port = (name = 'tcp'): number => {
    const l = bound.find((b) => b.name === name);
    if (!l) throw new Error(`listener ${name} not bound`);
    return l.port;
  };
  return {
    broker,
    metrics,
    bound,
    port,
    async connect(opts = {}) {
      const client = await mqtt.connectAsync({
        host: '127.0.0.1',
        port: port('tcp'),
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...opts,
      });
      clients.push(client);
      return client;
    },
    open(opts = {}) {
      const client = mqtt.connect({ host: '127.0.0.1', port: port('tcp'), reconnectPeriod: 0, connectTimeout: 5000, ...opts });
      client.on('error', () => undefined);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await broker.close();
    },
  };
}

/** Connects but resolves with the error (CONNACK refusal) instead of throwing. */
export async function connectError(port: number, options: IClientOptions): Promise<Error & { code?: number }> {
  try {
    const c = await mqtt.connectAsync({ host: '127.0.0.1', port, reconnectPeriod: 0, connectTimeout: 5000, ...options });
    await c.endAsync(true);
  } catch (error) {
    return error as Error & { code?: number };
  }
  throw new Error('connect unexpectedly succeeded');
}

/** Resolves with the next `count` messages the client receives. */
export function nextMessages(
  client: MqttClient,
  count = 1,
): Promise<Array<{ topic: string; payload: string; qos: number; retain: boolean; properties: Record<string, unknown> | undefined }>> {
  return new Promise((resolve) => {
    const got: Array<{ topic: string; payload: string; qos: number; retain: boolean; properties: Record<string, unknown> | undefined }> = [];
    const onMessage = (topic: string, payload: Buffer, packet: { qos: number; retain: boolean; properties?: Record<string, unknown> }): void => {
      got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, properties: packet.properties });
      if (got.length >= count) {
        client.off('message', onMessage);
        resolve(got);
      }
    };
    client.on('message', onMessage);
  });
}

/** Resolves when `predicate` holds, polling (no timing asserted: the test runner's timeout bounds it). */
export async function waitFor(predicate: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** SUBSCRIBE and return the raw granted codes (MQTT.js rejects on a refusal; we want the code). */
export async function subscribeGranted(client: MqttClient, topics: Record<string, { qos: 0 | 1 | 2 }>): Promise<Record<string, number>> {
  const order = Object.keys(topics);
  try {
    const granted = await client.subscribeAsync(topics);
    return Object.fromEntries(granted.map((g) => [g.topic, g.qos]));
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw error;
    return Object.fromEntries(order.map((t, i) => [t, packet.granted![i]!]));
  }
}

/** The simplest correct RetainedStore: a Map scanned on lookup (tests only; no limits, no expiry sweep). */
export function memoryRetainedStore(): RetainedStore & { messages: Map<string, RetainedMessage> } {
  const messages = new Map<string, RetainedMessage>();
  return {
    messages,
    store: (m) => void messages.set(m.topic, m),
    remove: (topic) => void messages.delete(topic),
    match: (filter) => {
      const now = Date.now();
      return [...messages.values()].filter((m) => matchTopic(filter, m.topic) && (m.expiresAt === undefined || m.expiresAt > now));
    },
  };
}
