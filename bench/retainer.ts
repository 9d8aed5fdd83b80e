/**
 * `node --import tsx bench/retainer.ts [--topics 100000]`
 *
 * Retained-message lookup with many retained topics: the retainer's trie index against a naive
 * scan of every topic (what a store without an index does), for exact topics and typical wildcard
 * filters. Also the cost of storing and of a disc (SQLite) store. Prints figures; asserts nothing.
 * `--redis redis://host:port` adds the cluster-mode store: how fast another node's replica catches
 * up with N stores, how long a starting node takes to load them, and a lookup on a replica.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { matchTopic } from '../src/broker/topic.js';
import type { RetainedMessage } from '../src/broker/hooks.js';
import { DiscBackend } from '../src/modules/retainer/disc-backend.js';
import { toPolicy } from '../src/modules/retainer/policy.js';
import { RamBackend, type RetainedBackend } from '../src/modules/retainer/ram-backend.js';
import { Retainer } from '../src/modules/retainer/retainer.js';
import { redisClusterContext } from '../src/cluster/cluster-context.js';
import { RedisBackend } from '../src/modules/retainer/redis-backend.js';

const { values } = parseArgs({ options: { topics: { type: 'string', default: '100000' }, redis: { type: 'string' } } });
const N = Number(values.topics);
const log = pino({ level: 'silent' });

// site/<s>/building/<b>/device/<d>/state: 100 sites x 10 buildings x N/1000 devices.
function topicAt(i: number): string {
  return `site/${i % 100}/building/${Math.floor(i / 100) % 10}/device/${Math.floor(i / 1000)}/state`;
}

function time(label: string, iterations: number, fn: () => number): void {
  let found = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) found += fn();
  const ns = Number(process.hrtime.bigint() - start);
  const per = ns / iterations;
  const unit = per > 1e6 ? `${(per / 1e6).toFixed(2)} ms` : `${(per / 1e3).toFixed(1)} µs`;
  console.log(`${label.padEnd(48)} ${unit.padStart(12)} per lookup   (${Math.round(found / iterations)} matches)`);
}

function fill(backend: RetainedBackend): Retainer {
  const store = new Retainer(backend, toPolicy({ max_payload_size: '0B' }), log);
  const payload = Buffer.from('{"on":true}');
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) store.store({ topic: topicAt(i), payload, qos: 1, storedAt: i } satisfies RetainedMessage);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`stored ${N} retained topics (${backend.kind}) in ${ms.toFixed(0)} ms (${((ms * 1000) / N).toFixed(2)} µs each)`);
  return store;
}

const filters: Array<[string, number]> = [
  [topicAt(12345), 2000],
  ['site/42/building/3/device/+/state', 2000],
  ['site/42/#', 500],
  ['site/+/building/3/device/7/state', 2000],
  ['+/+/+/+/device/99/state', 200],
  ['nomatch/#', 2000],
];

console.log(`retained lookup, ${N} topics\n`);
const ram = fill(new RamBackend());
const all = ram.list();
for (const [filter, iterations] of filters) {
  time(`index  ${filter}`, iterations, () => ram.match(filter).length);
  time(`scan   ${filter}`, Math.max(5, Math.floor(iterations / 100)), () => all.filter((m) => matchTopic(filter, m.topic)).length);
}

const dir = await mkdtemp(join(tmpdir(), 'modmq-bench-retainer-'));
try {
  const discBackend = new DiscBackend(dir);
  const disc = fill(discBackend);
  const flushStart = process.hrtime.bigint();
  discBackend.flush();
  console.log(`wrote them to SQLite (write-behind flush) in ${(Number(process.hrtime.bigint() - flushStart) / 1e6).toFixed(0)} ms`);
  time(`disc index ${filters[1]![0]}`, 2000, () => disc.match(filters[1]![0]).length);
  disc.close();
  const start = process.hrtime.bigint();
  const reopened = new DiscBackend(dir);
  console.log(`reopened disc store with ${reopened.size} topics in ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(0)} ms`);
  reopened.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}

if (values.redis === undefined) {
  console.log('\n(cluster mode: add --redis redis://127.0.0.1:6379 to measure the Redis store)');
} else {
  const cluster = redisClusterContext(values.redis, `bench-${process.pid}`);
  const open = (): Promise<RedisBackend> =>
    RedisBackend.open({ cluster, prefix: `${cluster.keyPrefix}m:retainer:`, maxMessages: () => 0, onRefusedFull: () => undefined, onError: () => undefined });
  const [writer, other] = [await open(), await open()];
  try {
    const start = process.hrtime.bigint();
    fill(writer);
    while (other.size < N) await new Promise((r) => setTimeout(r, 5));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(`another node's replica had all ${N} in ${ms.toFixed(0)} ms (${Math.round(N / (ms / 1000))} stores/s through Redis)`);
    const replica = new Retainer(other, toPolicy({}), log);
    time(`replica index ${filters[1]![0]}`, 2000, () => replica.match(filters[1]![0]).length);
    const loadStart = process.hrtime.bigint();
    const late = await open();
    console.log(`a starting node loaded ${late.size} topics in ${(Number(process.hrtime.bigint() - loadStart) / 1e6).toFixed(0)} ms`);
    late.close();
    await late.closed();
    const raw = cluster.connect();
    await raw.del(`${cluster.keyPrefix}m:retainer:msgs`, `${cluster.keyPrefix}m:retainer:exp`, `${cluster.keyPrefix}m:retainer:seq`);
    await raw.quit();
  } finally {
    for (const b of [writer, other]) {
      b.close();
      await b.closed();
    }
  }
}
