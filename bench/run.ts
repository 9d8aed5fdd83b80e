/**
 * `npm run bench [-- --quick] [--rounds N] [--targets a,b] [--compare FILE] [--no-pin]`
 *
 * Starts every target broker and the load generator as child processes (pinned to different
 * cores when taskset exists), runs each scenario against every target in turn (A B C D, A B C D,
 * ... one round after another, fresh brokers each round), then prints medians and ratios against
 * bare aedes and writes bench/results/<timestamp>.json. Prints figures; never asserts timing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem, release, platform } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { installCleanup, stopAll } from './lib/children.js';
import { LoadGenerator } from './lib/load-client.js';
import { formatComparison, formatTable, summarize, type Metrics, type RunRecord, type Summary } from './lib/report.js';
import { buildScenarios, type Scenario } from './lib/scenarios.js';
import { MOSQUITTO_TARGET, NODE_TARGETS, mosquittoInstalled, type RunningTarget, type TargetSpec } from './lib/targets.js';

// `--only <name> [its flags]`: run one of the separate bench scripts instead of the broker table.
const ONLY: Record<string, string> = {
  'hot-change': 'hot-change.ts', validate: 'validate.ts', profile: 'profile.ts',
  migrate: 'migrate.ts', retainer: 'retainer.ts', 'auth-chain': 'auth-chain.ts',
  'cluster-apply': 'cluster-apply.ts',
  'cluster-throughput': 'cluster-throughput.ts',
  websocket: 'websocket.ts',
};
const onlyAt = process.argv.indexOf('--only');
if (onlyAt >= 0) {
  const name = process.argv[onlyAt + 1] ?? '';
  const script = ONLY[name];
  if (script === undefined) {
    console.error(`--only needs one of: ${Object.keys(ONLY).join(', ')}`);
    process.exit(2);
  }
  const rest = [...process.argv.slice(2, onlyAt), ...process.argv.slice(onlyAt + 2)];
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...rest], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const BASELINE = 'aedes';
const HOST = '127.0.0.1';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    targets: { type: 'string' },
    compare: { type: 'string' },
    'no-pin': { type: 'boolean', default: false },
    'storm-clients': { type: 'string' },
    scenarios: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(`usage: npm run bench -- [--quick] [--rounds N] [--targets ${[...NODE_TARGETS, MOSQUITTO_TARGET].map((t) => t.id).join(',')}]
                        [--compare bench/results/OLD.json] [--no-pin] [--storm-clients N] [--scenarios fan-in,paced]
       npm run bench -- --only hot-change|validate|profile|migrate|retainer|auth-chain|cluster-apply|cluster-throughput|websocket [that script's flags]`);
  process.exit(0);
}

const quick = args.quick === true;
const rounds = positiveInt(args.rounds, quick ? 1 : 3, '--rounds');
// `--scenarios a,b`: only the scenarios whose name contains one of these (e.g. `fan-in,paced`, `q1 16B`).
const scenarioFilter = args.scenarios?.split(',').map((s) => s.trim()).filter(Boolean);
const scenarios = buildScenarios({
  maxMs: quick ? 600 : 1000,
  warmupMs: quick ? 100 : 200,
  maxMessages: 1_000_000,
  stormClients: positiveInt(args['storm-clients'], 2000, '--storm-clients'),
  quick,
}).filter((s) => scenarioFilter === undefined || scenarioFilter.some((part) => s.id.includes(part)));
if (scenarios.length === 0) fail(`--scenarios ${args.scenarios ?? ''} selects no scenario`);

const wanted = args.targets?.split(',').map((s) => s.trim()).filter(Boolean);
let specs: TargetSpec[] = [...NODE_TARGETS, ...(mosquittoInstalled() ? [MOSQUITTO_TARGET] : [])];
if (wanted !== undefined) {
  const unknown = wanted.filter((id) => ![...NODE_TARGETS, MOSQUITTO_TARGET].some((t) => t.id === id));
  if (unknown.length > 0) fail(`unknown target(s): ${unknown.join(', ')}`);
  specs = specs.filter((t) => wanted.includes(t.id));
}

const cores = cpus().length;
const pin = args['no-pin'] !== true && cores >= 2 && existsSync('/usr/bin/taskset');
const loadCpus = pin ? '0' : undefined;
const brokerCpus = pin ? '1' : undefined;
const machine = {
  cores,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  platform: `${platform()} ${release()}`,
  memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  loadavg_at_start: loadavg().map((n) => Math.round(n * 100) / 100),
  pinned: pin ? { load: loadCpus, brokers: brokerCpus } : false,
  loadavg_at_end: [] as number[],
};

installCleanup();
const started = new Date();
const records: RunRecord[] = [];
let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
} finally {
  await stopAll();
}
process.exit(failed ? 1 : 0);

async function main(): Promise<void> {
  log(`machine: ${cores} cores (${machine.cpu}), node ${machine.node}, ${machine.platform}; ` + (pin ? `load on cpu ${loadCpus}, brokers on cpu ${brokerCpus}` : 'not pinned'));
  log(`targets: ${specs.map((t) => t.id).join(', ')}; ${rounds} round(s) x ${scenarios.length} scenarios`);
  const load = LoadGenerator.start(loadCpus);
  try {
    for (let round = 1; round <= rounds; round++) await runRound(round, load);
  } finally {
    await load.stop();
  }

  const targetIds = specs.map((t) => t.id);
  const summary = summarize(records, BASELINE);
  const table = formatTable(summary, scenarios, targetIds, BASELINE);
  console.log(`\nmodmq bench, ${started.toISOString()}, ${rounds} round(s), medians (xR = median ratio to ${BASELINE} of the same round)`);
  const loadEnd = loadavg().map((n) => Math.round(n * 100) / 100);
  machine.loadavg_at_end = loadEnd;
  console.log(`machine: ${cores} cores, ${machine.cpu}, node ${machine.node}, ${machine.platform}, pinned: ${pin ? 'yes' : 'no'}`);
  console.log(`load average (1 min) at start ${machine.loadavg_at_start[0]}, at end ${loadEnd[0]}`);
  if (Math.max(machine.loadavg_at_start[0] ?? 0, loadEnd[0] ?? 0) > cores) {
    console.log(`WARNING: the machine was busy (load above ${cores} cores): absolute figures are noisy; trust the ratios more`);
  }
  for (const t of specs) console.log(`  ${t.id.padEnd(14)} ${t.label}`);
  console.log('');
  console.log(table);
  const errors = records.filter((r) => r.error !== undefined);
  if (errors.length > 0) {
    console.log(`\n${errors.length} run(s) failed:`);
    for (const r of errors) console.log(`  round ${r.round} ${r.scenario} ${r.target}: ${r.error}`);
  }

  const file = await writeResults(summary);
  console.log(`\nresults: ${file}`);
  if (args.compare !== undefined) {
    const old = JSON.parse(await readFile(args.compare, 'utf8')) as { summary?: Summary; started?: string };
    console.log(`\ncompared with ${args.compare} (${old.started ?? 'unknown date'}):`);
    console.log(formatComparison(old.summary ?? {}, summary));
  }
}

/** One round: fresh brokers, then every scenario against every target in turn. */
async function runRound(round: number, load: LoadGenerator): Promise<void> {
  const running: RunningTarget[] = [];
  try {
    for (const spec of specs) {
      try {
        running.push(await spec.start(brokerCpus));
      } catch (error) {
        if (spec.id === BASELINE) throw error;
        record({ round, scenario: '(start)', target: spec.id, metrics: null, error: message(error) });
      }
    }
    // Rotate who goes first each round, so no target always runs right after another one.
    const order = running.map((_, i) => running[(i + round - 1) % running.length] as RunningTarget);
    for (const scenario of scenarios) {
      for (const target of order) {
        const runId = `${round}-${target.id}-${Math.random().toString(36).slice(2, 8)}`;
        try {
          const metrics = await runScenario(scenario, target, load, runId);
          record({ round, scenario: scenario.id, target: target.id, metrics });
        } catch (error) {
          record({ round, scenario: scenario.id, target: target.id, metrics: null, error: message(error) });
        }
      }
    }
  } finally {
    await Promise.all(running.map((t) => t.stop()));
  }
}

async function runScenario(scenario: Scenario, target: RunningTarget, load: LoadGenerator, runId: string): Promise<Metrics> {
  if (scenario.kind === 'throughput') {
    const job = { kind: 'throughput' as const, host: HOST, port: target.port, runId, ...scenario.params };
    const cpuBefore = await target.cpuMicros();
    const r = await load.run(job, scenario.params.maxMs + 15_000);
    const cpu = (await target.cpuMicros()) - cpuBefore;
    const { kind: _kind, ...numbers } = r;
    return { ...numbers, cpu_us_per_msg: r.delivered > 0 ? Math.round((cpu / r.delivered) * 100) / 100 : NaN };
  }
  const before = await target.rss();
  try {
    const r = await load.run({ kind: 'storm', host: HOST, port: target.port, runId, ...scenario.params }, scenario.params.maxMs + 15_000);
    const after = await target.rss();
    return {
      connected: r.connected,
      'connects/s': r['connects/s'],
      rss_kib_per_conn: r.connected > 0 ? Math.round(((after - before) / 1024 / r.connected) * 100) / 100 : NaN,
      rss_before_mib: Math.round((before / 2 ** 20) * 10) / 10,
    };
  } finally {
    await load.run({ kind: 'release' }, 15_000);
  }
}

function record(r: RunRecord): void {
  records.push(r);
  const detail =
    r.metrics === null
      ? `FAILED: ${r.error}`
      : Object.entries(r.metrics)
          .filter(([k, v]) => !['published', 'delivered', 'max_ms', 'rss_before_mib', 'elapsed_ms'].includes(k) && !(k === 'stalls' && v === 0))
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
  log(`[round ${r.round}] ${r.scenario.padEnd(34)} ${r.target.padEnd(14)} ${detail}`);
}

async function writeResults(summary: Summary): Promise<string> {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const file = `${dir}${started.toISOString().replace(/[:.]/g, '-')}.json`;
  const body = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    machine,
    options: { quick, rounds, baseline: BASELINE, scenarios: scenarioFilter ?? 'all' },
    targets: specs.map((t) => ({ id: t.id, label: t.label })),
    scenarios,
    summary,
    runs: records,
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

function positiveInt(raw: string | undefined, fallback: number, flag: string): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) fail(`${flag} needs a positive integer, got ${raw}`);
  return n;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function fail(text: string): never {
  console.error(text);
  process.exit(2);
}
