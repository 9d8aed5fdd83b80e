/**
 * `npm run bench -- --only cluster-apply [--changes 100] [--nodes 3]`
 *
 * Cluster apply latency (issue 6): a real redis-server and N `modmq start` processes on it. Each
 * change PUTs /api/v1/modules/topic-rewrite through node A (no ?wait) and measures, from just
 * before the PUT:
 *   - applied: until every node's own GET /status reports the new applied revision;
 *   - visible: until node A's GET /nodes shows every node at that revision (status via Redis).
 * One change at a time. Prints p50/p99/max; asserts nothing. Polls every 2 ms, so figures carry
 * that much resolution plus one HTTP round trip.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startCluster, type TestCluster } from '../test/helpers/cluster.js';
import type { NodeProcess } from '../test/helpers/node-process.js';

const { values } = parseArgs({ options: { changes: { type: 'string', default: '100' }, nodes: { type: 'string', default: '3' } } });
const changes = Number(values.changes);
const nodeCount = Number(values.nodes);
if (!Number.isInteger(changes) || changes < 1 || !Number.isInteger(nodeCount) || nodeCount < 1) {
  console.error('--changes and --nodes need positive integers');
  process.exit(2);
}
const TIMEOUT_MS = 30_000;
const POLL_MS = 2;

const rule = (n: number): unknown => ({ rules: [{ action: 'publish', source_topic: 'ca/#', re: '^ca/(.+)$', dest_topic: `ca-out/${n}/$1` }] });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(POLL_MS);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function line(name: string, samples: number[]): string {
  const s = [...samples].sort((x, y) => x - y);
  const f = (n: number): string => n.toFixed(1).padStart(7);
  return `${name.padEnd(36)} p50 ${f(percentile(s, 50))} ms   p99 ${f(percentile(s, 99))} ms   max ${f(s[s.length - 1] ?? NaN)} ms`;
}

let cluster: TestCluster | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cluster?.stop().finally(() => process.exit(130)));

try {
  console.log(`cluster-apply: ${nodeCount} nodes, ${changes} changes; ${cpus().length} cores, load ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  const started = Date.now();
  cluster = await startCluster({ nodes: nodeCount });
  console.log(`cluster up in ${Date.now() - started} ms`);
  const nodes = cluster.nodes;
  const a = nodes[0]!;
  const first = await a.json<{ revision: number }>('POST', '/modules?wait=true', { type: 'topic-rewrite', config: rule(0) });
  await Promise.all(nodes.map((n) => n.waitApplied(first.revision)));

  const appliedOwn = (node: NodeProcess, revision: number): Promise<void> =>
    until(`${node.api} applies ${revision}`, async () => (await node.json<{ appliedRevision: number }>('GET', '/status')).appliedRevision >= revision);
  const visibleFromA = (revision: number): Promise<void> =>
    until(`A sees every node at ${revision}`, async () => {
      const view = await a.json<{ nodes: Array<{ appliedRevision: number | null }> }>('GET', '/nodes');
      return view.nodes.length === nodeCount && view.nodes.every((n) => (n.appliedRevision ?? 0) >= revision);
    });

  const putMs: number[] = [];
  const appliedMs: number[] = [];
  const visibleMs: number[] = [];
  for (let i = 1; i <= changes; i++) {
    const t0 = performance.now();
    const answer = await a.json<{ revision: number }>('PUT', '/modules/topic-rewrite', { config: rule(i) });
    putMs.push(performance.now() - t0);
    await Promise.all([
      Promise.all(nodes.map((n) => appliedOwn(n, answer.revision))).then(() => appliedMs.push(performance.now() - t0)),
      visibleFromA(answer.revision).then(() => visibleMs.push(performance.now() - t0)),
    ]);
  }
  console.log(line('PUT answered (node A)', putMs));
  console.log(line(`applied on all ${nodeCount} (own /status)`, appliedMs));
  console.log(line(`all ${nodeCount} at the revision in A's /nodes`, visibleMs));
  console.log(`load at end ${loadavg().map((n) => n.toFixed(2)).join(' ')} (figures only; nothing is asserted)`);
} catch (error) {
  console.error(`cluster-apply failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await cluster?.stop();
}
