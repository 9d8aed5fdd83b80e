/**
 * `npm run bench -- --only cluster-throughput [--nodes 2] [--ms 3000] [--rounds 1]`
 *
 * Cross-node routing: publishers on node A, the subscriber on node B of a cluster on a real
 * redis-server (messages go A -> Redis pub/sub -> B), against the same load on one node without a
 * cluster. Real `modmq start` processes; the load generator is the one `npm run bench` uses.
 * Prints delivered/s and end-to-end p50/p99; asserts nothing.
 */
import { parseArgs } from 'node:util';
import { installCleanup, stopAll } from './lib/children.js';
import { LoadGenerator } from './lib/load-client.js';
import type { ThroughputJob, ThroughputResult } from './load/types.js';
import { startCluster, type TestCluster } from '../test/helpers/cluster.js';
import { startNodeProcess, type NodeProcess } from '../test/helpers/node-process.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '2' },
    ms: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '1' },
  },
});
const nodes = Math.max(2, Number(values.nodes));
const maxMs = Number(values.ms);
const rounds = Math.max(1, Number(values.rounds));

type Job = Omit<ThroughputJob, 'host' | 'port' | 'runId' | 'subscriberPort'> & { label: string };
const base = { kind: 'throughput' as const, shape: 'fan-in' as const, publishers: 4, subscribers: 1, maxMessages: 1_000_000, maxMs, window: 500, warmupMs: 300 };
const jobs: Job[] = [
  { ...base, label: 'fan-in 4x1 q0 16B', qos: 0, payloadBytes: 16, rate: 0 },
  { ...base, label: 'fan-in 4x1 q1 16B', qos: 1, payloadBytes: 16, rate: 0 },
  { ...base, label: 'fan-in 4x1 q1 1KiB', qos: 1, payloadBytes: 1024, rate: 0 },
  { ...base, label: 'paced 2000/s q1 16B', qos: 1, payloadBytes: 16, rate: 2000 },
];

installCleanup();
const load = LoadGenerator.start(undefined);
let run = 0;

async function measure(job: Job, publishPort: number, subscribePort: number): Promise<ThroughputResult> {
  const { label: _label, ...params } = job;
  return load.run(
    { ...params, host: '127.0.0.1', port: publishPort, subscriberPort: subscribePort, runId: `cl${process.pid}-${++run}` },
    maxMs + 30_000,
  );
}

function row(label: string, where: string, r: ThroughputResult): string {
  return [
    label.padEnd(22),
    where.padEnd(22),
    String(Math.round(r['delivered/s'])).padStart(10),
    r.p50_ms.toFixed(2).padStart(9),
    r.p99_ms.toFixed(2).padStart(9),
    String(r.lost).padStart(6),
  ].join(' ');
}

let single: NodeProcess | undefined;
let cluster: TestCluster | undefined;
try {
  console.log(`cluster throughput: ${nodes}-node cluster on Redis (publish on n1, subscribe on n2) vs one node; ${maxMs} ms per run, ${rounds} round(s)\n`);
  console.log(['scenario'.padEnd(22), 'where'.padEnd(22), 'deliv/s'.padStart(10), 'p50 ms'.padStart(9), 'p99 ms'.padStart(9), 'lost'.padStart(6)].join(' '));
  single = await startNodeProcess();
  cluster = await startCluster({ nodes });
  const [a, b] = cluster.nodes as [NodeProcess, NodeProcess];
  for (let round = 0; round < rounds; round++) {
    for (const job of jobs) {
      console.log(row(job.label, 'one node', await measure(job, single.mqtt.port, single.mqtt.port)));
      console.log(row(job.label, 'cluster n1 -> n1', await measure(job, a.mqtt.port, a.mqtt.port)));
      console.log(row(job.label, 'cluster n1 -> n2', await measure(job, a.mqtt.port, b.mqtt.port)));
    }
  }
} finally {
  await load.stop();
  await single?.close();
  await cluster?.stop();
  await stopAll();
}
