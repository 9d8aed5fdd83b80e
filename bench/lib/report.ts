/**
 * Medians, ratios against the baseline, the printed table and the comparison with an older
 * results file. Ratios are the median of per-round ratios: targets run back to back within a
 * round, so pairing by round cancels most of the machine's drift.
 */

/** metric name -> value, for one target in one scenario and round. */
export type Metrics = Record<string, number>;

export interface RunRecord {
  round: number;
  scenario: string;
  target: string;
  metrics: Metrics | null;
  error?: string;
}

/** scenario -> target -> metric -> { median, ratio vs baseline } */
export type Summary = Record<string, Record<string, Record<string, { median: number; ratio?: number }>>>;

export interface MetricSpec {
  key: string;
  label: string;
  digits: number;
  /** true when a larger value is better (for the comparison's sign). */
  higherIsBetter: boolean;
}

export const THROUGHPUT_METRICS: MetricSpec[] = [
  { key: 'delivered/s', label: 'delivered/s', digits: 0, higherIsBetter: true },
  { key: 'published/s', label: 'published/s', digits: 0, higherIsBetter: true },
  { key: 'p50_ms', label: 'p50 ms', digits: 3, higherIsBetter: false },
  { key: 'p99_ms', label: 'p99 ms', digits: 3, higherIsBetter: false },
  // Broker CPU time over the whole run (connects, warm-up included) per delivery counted: holds on a busy machine.
  { key: 'cpu_us_per_msg', label: 'broker CPU µs/msg', digits: 2, higherIsBetter: false },
  { key: 'lost', label: 'lost msgs', digits: 0, higherIsBetter: false },
];

export const STORM_METRICS: MetricSpec[] = [
  { key: 'connects/s', label: 'connects/s', digits: 0, higherIsBetter: true },
  { key: 'rss_kib_per_conn', label: 'RSS KiB/conn', digits: 2, higherIsBetter: false },
  { key: 'connected', label: 'connected', digits: 0, higherIsBetter: true },
];

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(runs: RunRecord[], baseline: string): Summary {
  const summary: Summary = {};
  const byKey = new Map<string, RunRecord>();
  for (const run of runs) if (run.metrics !== null) byKey.set(`${run.scenario}\u0000${run.target}\u0000${run.round}`, run);
  for (const run of runs) {
    if (run.metrics === null) continue;
    const perTarget = (summary[run.scenario] ??= {});
    const perMetric = (perTarget[run.target] ??= {});
    for (const metric of Object.keys(run.metrics)) {
      if (perMetric[metric] !== undefined) continue;
      const same = runs.filter((r) => r.scenario === run.scenario && r.target === run.target && r.metrics !== null);
      const values = same.map((r) => (r.metrics as Metrics)[metric]).filter((v): v is number => typeof v === 'number');
      const ratios: number[] = [];
      for (const r of same) {
        const base = byKey.get(`${r.scenario}\u0000${baseline}\u0000${r.round}`)?.metrics?.[metric];
        const value = (r.metrics as Metrics)[metric];
        if (base !== undefined && base > 0 && value !== undefined) ratios.push(value / base);
      }
      perMetric[metric] = { median: median(values), ...(ratios.length > 0 ? { ratio: median(ratios) } : {}) };
    }
  }
  return summary;
}

function fmt(value: number | undefined, digits: number): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function pad(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

/** Medians per scenario and target, with `(x0.93)` ratios against the baseline target. */
export function formatTable(summary: Summary, scenarios: Array<{ id: string; kind: string }>, targets: string[], baseline: string): string {
  const rows: string[][] = [['scenario', 'metric', ...targets]];
  for (const scenario of scenarios) {
    const perTarget = summary[scenario.id];
    if (perTarget === undefined) continue;
    const specs = scenario.kind === 'storm' ? STORM_METRICS : THROUGHPUT_METRICS;
    let first = true;
    for (const spec of specs) {
      const cells = targets.map((target) => {
        const m = perTarget[target]?.[spec.key];
        if (m === undefined) return '-';
        const ratio = target !== baseline && m.ratio !== undefined && spec.key !== 'lost' && spec.key !== 'connected' ? ` (x${m.ratio.toFixed(2)})` : '';
        return fmt(m.median, spec.digits) + ratio;
      });
      if (spec.key === 'lost' && cells.every((c) => c === '0' || c === '-')) continue;
      rows.push([first ? scenario.id : '', spec.label, ...cells]);
      first = false;
    }
  }
  return pad(rows);
}

/** Old vs new medians for every scenario/target/metric both files have. */
export function formatComparison(oldSummary: Summary, newSummary: Summary): string {
  const rows: string[][] = [['scenario', 'metric', 'target', 'old', 'new', 'change']];
  const specs = new Map([...THROUGHPUT_METRICS, ...STORM_METRICS].map((s) => [s.key, s]));
  for (const [scenario, perTarget] of Object.entries(newSummary)) {
    for (const [target, perMetric] of Object.entries(perTarget)) {
      for (const [metric, { median: now }] of Object.entries(perMetric)) {
        const spec = specs.get(metric);
        const before = oldSummary[scenario]?.[target]?.[metric]?.median;
        if (spec === undefined || before === undefined || metric === 'lost' || metric === 'connected') continue;
        const change = before === 0 ? '-' : `${now >= before ? '+' : ''}${(((now - before) / before) * 100).toFixed(1)}%`;
        rows.push([scenario, spec.label, target, fmt(before, spec.digits), fmt(now, spec.digits), change]);
      }
    }
  }
  return rows.length === 1 ? '(no scenario in common with the compared file)' : pad(rows);
}
