/**
 * `node --import tsx bench/hot-change.ts [--changes 50]`
 *
 * Hot config change (issue 8): the time from an API change to the new behaviour being visible to a
 * client. A whole in-process node (temp data dir, ports 0) runs topic-rewrite; a subscriber listens
 * on `hc/dest/#`. Each change PUTs /api/v1/modules/topic-rewrite (no ?wait) with a rule sending
 * `hc/src/<x>` to `hc/dest/<n>/<x>`, while a publisher keeps publishing to `hc/src/probe` (QoS 0,
 * one every `--every-ms`); the change is visible when the first message arrives on `hc/dest/<n>/...`.
 * Prints p50/p99/max over the changes, and the PUT's own answer time. Asserts nothing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { startNode, type RunningNode } from '../src/node/node.js';

const { values } = parseArgs({ options: { changes: { type: 'string', default: '50' }, 'every-ms': { type: 'string', default: '1' } } });
const changes = Number(values.changes);
const everyMs = Number(values['every-ms']);
const TIMEOUT_MS = 10_000;

const cleanups: Array<() => Promise<unknown>> = [];
const cleanup = async (): Promise<void> => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => undefined);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));

const rule = (n: number): unknown => ({ rules: [{ action: 'publish', source_topic: 'hc/src/#', re: '^hc/src/(.+)$', dest_topic: `hc/dest/${n}/$1` }] });

try {
  const dataDir = await mkdtemp(join(tmpdir(), 'modmq-bench-hot-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const password = `bench-${process.pid}`;
  const off = { enable: false, bind: '127.0.0.1', port: 0 };
  const node: RunningNode = await startNode(
    {
      node: { name: 'bench-hot', data_dir: dataDir },
      listeners: { tcp: { enable: true, bind: '127.0.0.1', port: 0 }, tls: off, ws: { ...off, path: '/mqtt' }, wss: { ...off, path: '/mqtt' } },
      api: { bind: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
    },
    { log: pino({ level: 'silent' }), adminPassword: password, print: () => {} },
  );
  cleanups.push(() => node.stop());
  const port = node.listeners.find((l) => l.kind === 'tcp')!.port;
  const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  const api = async (method: string, path: string, body: unknown): Promise<void> => {
    const response = await fetch(`http://127.0.0.1:${node.api.port}/api/v1${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  };
  await api('POST', '/modules?wait=true', { type: 'topic-rewrite', enabled: true, config: rule(0) });

  const connect = async (clientId: string): Promise<MqttClient> => {
    const client = await mqtt.connectAsync({ host: '127.0.0.1', port, clientId, reconnectPeriod: 0 });
    cleanups.push(() => client.endAsync(true));
    return client;
  };
  const sub = await connect('hc-sub');
  const pub = await connect('hc-pub');
  await sub.subscribeAsync('hc/dest/#', { qos: 0 });

  let waitingFor = '';
  let arrived: (() => void) | undefined;
  sub.on('message', (topic) => {
    if (arrived !== undefined && topic.startsWith(waitingFor)) arrived();
  });
  // Sanity: the initial rule works, so a later arrival measures the change and not a broken setup.
  await change(0, false);

  const visible: number[] = [];
  const answered: number[] = [];
  for (let n = 1; n <= changes; n++) {
    const r = await change(n, true);
    visible.push(r.visibleMs);
    answered.push(r.putMs);
  }
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, load ${loadavg()[0]?.toFixed(2)}`);
  console.log(`\nhot change: PUT /api/v1/modules/topic-rewrite (new dest_topic) -> first rewritten message at a subscriber, ${changes} changes, probe every ${everyMs} ms`);
  console.log(`${''.padEnd(34)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}`);
  const row = (label: string, xs: number[]): void =>
    console.log(`${label.padEnd(34)}${pct(xs, 0.5).toFixed(1).padStart(9)}${pct(xs, 0.99).toFixed(1).padStart(9)}${Math.max(...xs).toFixed(1).padStart(9)}`);
  row('change visible to a client', visible);
  row('PUT answered (no ?wait)', answered);

  /**
   * Sends the change and publishes probes until one arrives rewritten to the new destination.
   * Probes keep going while the PUT is in flight: the node may apply before it answers.
   */
  async function change(n: number, put: boolean): Promise<{ visibleMs: number; putMs: number }> {
    waitingFor = `hc/dest/${n}/`;
    const seen = new Promise<void>((resolve) => (arrived = resolve));
    const start = performance.now();
    let putMs = 0;
    const request = put
      ? api('PUT', '/modules/topic-rewrite', { config: rule(n) }).then(() => (putMs = performance.now() - start))
      : Promise.resolve();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const probe = (): void => {
      if (done) return;
      pub.publish('hc/src/probe', 'x', { qos: 0 });
      timer = setTimeout(probe, everyMs);
    };
    probe();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`change ${n} not visible after ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref());
    try {
      await Promise.race([seen, timeout]);
    } finally {
      done = true;
      clearTimeout(timer);
      arrived = undefined;
    }
    const visibleMs = performance.now() - start;
    await request;
    return { visibleMs, putMs };
  }
} catch (error) {
  console.error('hot-change bench failed:', error);
  process.exitCode = 1;
} finally {
  await cleanup();
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? NaN;
}
