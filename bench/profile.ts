/**
 * `node --import tsx bench/profile.ts [--seconds 5] [--target modmq-default] [--qos 0] [--rate N] [--top 15] [--no-pin] [--storm N]`
 *
 * CPU profile of the publish path (issue 8): starts a bench target (default: modmq-default, the
 * node with the default module set) under `node --cpu-prof`, drives it with the fan-in load
 * (4 publishers -> 1 subscriber, 16 B, closed loop) from the bench's load generator child for
 * `--seconds` (or paced at `--rate` messages/s, where the broker is mostly idle and the per-message
 * cost is what counts), stops it, and reads the .cpuprofile it wrote to bench/results/ (git-ignored).
 * Only samples taken while the load ran are counted (start-up, schema compiling, shutdown are not),
 * and it prints the top self-time functions, then self time by origin (src/, aedes, ...).
 * `--storm N` profiles the connect path instead: N clients connect + subscribe (100 in flight).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, nextMessage, spawnNodeScript, stopAll, stopChild } from './lib/children.js';
import { LoadGenerator } from './lib/load-client.js';
import type { TargetMessage } from './targets/target-child.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    target: { type: 'string', default: 'modmq-default' },
    qos: { type: 'string', default: '0' },
    top: { type: 'string', default: '15' },
    'no-pin': { type: 'boolean', default: false },
    storm: { type: 'string' },
    rate: { type: 'string', default: '0' },
  },
});
const stormClients = values.storm === undefined ? 0 : Number(values.storm);
const seconds = Number(values.seconds);
const top = Number(values.top);
const qos = values.qos === '1' ? 1 : 0;
const rate = Number(values.rate);
if (!Number.isInteger(rate) || rate < 0) {
  console.error(`--rate must be a whole number of messages/s, got ${values.rate}`);
  process.exit(2);
}
const target = values.target ?? 'modmq-default';
if (!['aedes', 'modmq-bare', 'modmq-default'].includes(target)) {
  console.error(`--target must be aedes, modmq-bare or modmq-default, got ${target}`);
  process.exit(2);
}
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const pin = values['no-pin'] !== true && cpus().length >= 2 && existsSync('/usr/bin/taskset');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

installCleanup();
let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`profile failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
} finally {
  await stopAll();
}
process.exit(failed ? 1 : 0);

async function main(): Promise<void> {
  await mkdir(resultsDir, { recursive: true });
  // A directory per run: tsx's loader runs on its own thread, which writes a profile too.
  const dir = `${resultsDir}profile-${target}-${stormClients > 0 ? `storm${stormClients}` : `q${qos}${rate > 0 ? `-r${rate}` : ''}`}-${new Date().toISOString().replace(/[:.]/g, '-')}/`;
  await mkdir(dir, { recursive: true });
  const child = spawnNodeScript(`targets/${target}.ts`, {
    cpus: pin ? '1' : undefined,
    // Paced, the broker is busy a few percent of the time: sample 10x finer than the 1 ms default.
    nodeFlags: ['--expose-gc', '--cpu-prof', '--cpu-prof-dir', dir, ...(rate > 0 ? ['--cpu-prof-interval', '100'] : [])],
  });
  const isReply = (m: unknown): m is TargetMessage => typeof m === 'object' && m !== null && ['ready', 'failed'].includes((m as { kind: string }).kind);
  const ready = await nextMessage(child, isReply, 30_000, `${target} start`);
  if (ready.kind !== 'ready') throw new Error(`${target} failed to start: ${ready.kind === 'failed' ? ready.message : ready.kind}`);

  const load = LoadGenerator.start(pin ? '0' : undefined);
  let loadLine = '';
  // V8's profile timestamps are CLOCK_MONOTONIC microseconds, like process.hrtime: the load window.
  const from = Number(process.hrtime.bigint() / 1000n);
  let until = 0;
  try {
    if (stormClients > 0) {
      const storm = await load.run({ kind: 'storm', host: '127.0.0.1', port: ready.port, runId: `prof-${process.pid}`, clients: stormClients, concurrency: 100, maxMs: 60_000 }, 80_000);
      until = Number(process.hrtime.bigint() / 1000n);
      loadLine = `${target}, storm of ${stormClients} connect+subscribe: ${storm.connected} connected, ${storm['connects/s']} connects/s`;
      // Disconnecting them is not part of the profile window.
      await load.run({ kind: 'release' }, 15_000);
    } else {
      const result = await load.run(
        {
          kind: 'throughput', host: '127.0.0.1', port: ready.port, runId: `prof-${process.pid}`, shape: 'fan-in', publishers: 4, subscribers: 1,
          qos, payloadBytes: 16, maxMessages: 100_000_000, maxMs: seconds * 1000, window: 500, rate, warmupMs: 200,
        },
        seconds * 1000 + 20_000,
      );
      until = Number(process.hrtime.bigint() / 1000n);
      loadLine = `${target}, fan-in 4x1 QoS ${qos} 16 B ${rate > 0 ? `paced at ${rate}/s` : 'closed loop'}, ${seconds} s: ${Math.round(result['published/s']).toLocaleString('en-US')} published/s, ${Math.round(result['delivered/s']).toLocaleString('en-US')} delivered/s, p99 ${result.p99_ms} ms, loadgen cpu ${result.loadgen_cpu_pct}%`;
    }
  } finally {
    await load.stop();
  }
  // Ask the target to stop over IPC: it leaves with process.exit, which writes the profile (a kill would not).
  child.send({ kind: 'stop' });
  await stopChild(child, 10_000, false);

  // The main thread's profile is the one with the most busy samples during the load.
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no profile written in ${dir}`);
  let best: { file: string; profile: CpuProfile; counted: ReturnType<typeof countHits>; busy: number } | undefined;
  for (const f of files) {
    const profile = JSON.parse(await readFile(`${dir}${f}`, 'utf8')) as CpuProfile;
    const counted = countHits(profile, from, until);
    const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
    const busy = [...counted.hits].reduce((sum, [id, n]) => sum + (idle.has(id) ? 0 : n), 0);
    if (best === undefined || busy > best.busy) best = { file: `${dir}${f}`, profile, counted, busy };
  }
  const { file, profile, counted: { hits, total, windowed } } = best!;

  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}, load ${loadavg()[0]?.toFixed(2)}, pinned: ${pin ? 'yes' : 'no'}`);
  console.log(loadLine);
  console.log(`profile: ${file}`);
  const idleHits = profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((sum, n) => sum + (hits.get(n.id) ?? 0), 0);
  console.log(`${total} samples ${windowed ? 'while the load ran' : '(whole run: the load window matched no sample)'}, ${((idleHits * 100) / Math.max(1, total)).toFixed(1)}% idle (the broker's core had time to spare)\n`);

  // Self time per function (several profile nodes share a function: one per call path).
  const byFunction = new Map<string, { label: string; where: string; hits: number }>();
  const byOrigin = new Map<string, number>();
  for (const node of profile.nodes) {
    const n = hits.get(node.id) ?? 0;
    if (n === 0 || node.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = node.callFrame;
    // tsx-compiled files (src/, bench/) report line 0: the name and file are what identify them.
    const where = url === '' ? '' : lineNumber > 0 ? `${shortUrl(url)}:${lineNumber + 1}` : shortUrl(url);
    const key = `${functionName}@${where}`;
    const entry = byFunction.get(key) ?? { label: functionName === '' ? '(anonymous)' : functionName, where, hits: 0 };
    entry.hits += n;
    byFunction.set(key, entry);
    const origin = originOf(url, functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + n);
  }
  // Shares of the busy samples: at a paced rate most samples are idle, and the busy ones are the cost.
  const busyTotal = Math.max(1, total - idleHits);
  const pct = (n: number): string => `${((n * 100) / busyTotal).toFixed(1)}%`;
  console.log(`shares below are of the ${busyTotal} busy samples`);
  console.log(`${'#'.padStart(3)} ${'self'.padStart(6)}  ${'function'.padEnd(36)} where`);
  const ranked = [...byFunction.values()].sort((a, b) => b.hits - a.hits);
  ranked.slice(0, top).forEach((f, i) => console.log(`${String(i + 1).padStart(3)} ${pct(f.hits).padStart(6)}  ${f.label.slice(0, 36).padEnd(36)} ${f.where}`));
  console.log(`\nself time by origin`);
  for (const [origin, n] of [...byOrigin].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(n).padStart(6)}  ${origin}`);
  const ours = ranked.filter((f) => f.where.startsWith('src/'));
  console.log(`\nour functions (src/), top ${Math.min(top, ours.length)} by self time`);
  for (const f of ours.slice(0, top)) console.log(`  ${pct(f.hits).padStart(6)}  ${f.label.slice(0, 36).padEnd(36)} ${f.where}`);
}

/** Hits per node id, from the samples inside [from, until] µs when they carry timestamps. */
function countHits(profile: CpuProfile, from: number, until: number): { hits: Map<number, number>; total: number; windowed: boolean } {
  const hits = new Map<number, number>();
  let total = 0;
  if (profile.samples !== undefined && profile.timeDeltas !== undefined) {
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      if (t < from || t > until) continue;
      const id = profile.samples[i]!;
      hits.set(id, (hits.get(id) ?? 0) + 1);
      total++;
    }
    if (total > 0) return { hits, total, windowed: true };
  }
  for (const node of profile.nodes) {
    hits.set(node.id, node.hitCount ?? 0);
    total += node.hitCount ?? 0;
  }
  return { hits, total, windowed: false };
}

function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + '/node_modules/'.length);
  return path.startsWith(repoRoot) ? path.slice(repoRoot.length) : path;
}

function originOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? `${functionName} (V8)` : 'native / V8 builtins';
  if (url.startsWith('node:')) return 'node core';
  const short = shortUrl(url);
  if (short.startsWith('src/')) return `ours: ${short.split('/').slice(0, 2).join('/')}/`;
  if (short.startsWith('bench/')) return 'bench target';
  if (url.includes('/node_modules/')) return short.startsWith('@') ? short.split('/').slice(0, 2).join('/') : short.split('/')[0]!;
  return short;
}
