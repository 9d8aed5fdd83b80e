/**
 * $SYS topics, as EMQX publishes them (emqx_sys): `$SYS/brokers/<node>/version` and `sysdescr`
 * (and `$SYS/brokers`) retained, `uptime`, `datetime`, `stats/*` and `metrics/*` not retained, all
 * QoS 0, every `sys.interval`. Values are read from the node's Prometheus registry, so $SYS and
 * /metrics never disagree. Published through BrokerApi, so they go through routing and the
 * retained store like any broker message.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BrokerApi } from './broker-api.js';

export interface SysTopicsOptions {
  api: BrokerApi;
  metrics: Registry;
  log: Logger;
  /** 0 = off. */
  intervalMs: number;
  version: string;
  /** Epoch ms the node started. */
  startedAt: number;
  now?: () => number;
  /**
   * The running nodes' names, for `$SYS/brokers` (EMQX: comma-separated, every node of the
   * cluster); undefined when they cannot be read now (that round leaves the topic alone). Default:
   * this node alone.
   */
  brokers?: () => Promise<string[] | undefined>;
}

export interface SysTopics {
  /** Publishes every topic once now (also done at start). */
  publishNow(): Promise<void>;
  stop(): void;
}

/** $SYS stats/* topic -> registry metric whose value it carries. */
const STATS: ReadonlyArray<[string, string]> = [
  ['stats/connections/count', 'modmq_connections'],
  ['stats/connections/max', 'modmq_connections_max'],
  ['stats/subscriptions/count', 'modmq_subscriptions'],
];
/** $SYS metrics/* topic -> registry metric (summed over labels), plus a QoS label when given. */
const METRICS: ReadonlyArray<[string, string, string?]> = [
  ['metrics/messages/received', 'modmq_messages_received_total'],
  ['metrics/messages/sent', 'modmq_messages_sent_total'],
  ['metrics/messages/dropped', 'modmq_messages_dropped_total'],
  ['metrics/messages/qos0/received', 'modmq_messages_received_total', '0'],
  ['metrics/messages/qos1/received', 'modmq_messages_received_total', '1'],
  ['metrics/messages/qos2/received', 'modmq_messages_received_total', '2'],
  ['metrics/messages/qos0/sent', 'modmq_messages_sent_total', '0'],
  ['metrics/messages/qos1/sent', 'modmq_messages_sent_total', '1'],
  ['metrics/messages/qos2/sent', 'modmq_messages_sent_total', '2'],
  ['metrics/bytes/received', 'modmq_bytes_received_total'],
  ['metrics/bytes/sent', 'modmq_bytes_sent_total'],
  ['metrics/client/connected', 'modmq_connections_total'],
];

/** `$SYS/brokers/<node>/` for a node name. */
export function sysPrefix(nodeName: string): string {
  return `$SYS/brokers/${nodeName}/`;
}

/** EMQX's uptime text: `3 days, 4 hours, 5 minutes, 6 seconds` (leading zero units left out). */
export function formatUptime(ms: number): string {
  let secs = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(secs / 86400);
  secs -= days * 86400;
  const hours = Math.floor(secs / 3600);
  secs -= hours * 3600;
  const minutes = Math.floor(secs / 60);
  secs -= minutes * 60;
  const parts: string[] = [];
  if (days > 0) parts.push(`${days} days`);
  if (days > 0 || hours > 0) parts.push(`${hours} hours`);
  if (days > 0 || hours > 0 || minutes > 0) parts.push(`${minutes} minutes`);
  parts.push(`${secs} seconds`);
  return parts.join(', ');
}

/** Local time as `YYYY-MM-DD HH:MM:SS`, as EMQX's datetime topic. */
export function formatDatetime(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

async function metricValue(metrics: Registry, name: string, label?: string): Promise<number | undefined> {
  const metric = metrics.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const { values } = await metric.get();
  let sum = 0;
  for (const v of values) {
    if (label !== undefined && String(v.labels.qos) !== label) continue;
    sum += v.value;
  }
  return sum;
}

export function startSysTopics(options: SysTopicsOptions): SysTopics {
  const { api, metrics, log } = options;
  const now = options.now ?? Date.now;
  const prefix = sysPrefix(api.nodeName);
  let stopped = false;
  let running: Promise<void> | undefined;

  const publish = (topic: string, payload: string, retain = false): Promise<void> =>
    api.publish({ topic, payload, qos: 0, retain });

  const brokers = options.brokers ?? (async () => [api.nodeName]);

  const publishAll = async (): Promise<void> => {
    const names = await brokers();
    const out: Array<Promise<void>> = [
      ...(names !== undefined ? [publish('$SYS/brokers', [...new Set([api.nodeName, ...names])].sort().join(','), true)] : []),
      publish(`${prefix}version`, options.version, true),
      publish(`${prefix}sysdescr`, 'modmq: an MQTT broker built from cluster-wide modules', true),
      publish(`${prefix}uptime`, formatUptime(now() - options.startedAt)),
      publish(`${prefix}datetime`, formatDatetime(new Date(now()))),
    ];
    for (const [topic, name] of STATS) {
      const value = await metricValue(metrics, name);
      if (value !== undefined) out.push(publish(prefix + topic, String(Math.round(value))));
    }
    for (const [topic, name, label] of METRICS) {
      const value = await metricValue(metrics, name, label);
      if (value !== undefined) out.push(publish(prefix + topic, String(Math.round(value))));
    }
    await Promise.all(out);
  };

  const tick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    // Never two rounds at once (a slow round simply delays the next).
    running ??= publishAll()
      .catch((error: unknown) => {
        if (!stopped) log.warn({ err: error }, '$SYS publish failed');
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  let timer: NodeJS.Timeout | undefined;
  if (options.intervalMs > 0) {
    timer = setInterval(() => void tick(), options.intervalMs);
    timer.unref();
    void tick();
  }
  return {
    publishNow: tick,
    stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
