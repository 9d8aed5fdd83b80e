/** The runs of one round, sized for a 2-core machine. */
import type { StormJob, ThroughputJob } from '../load/types.js';

export type ThroughputParams = Omit<ThroughputJob, 'kind' | 'host' | 'port' | 'runId'>;
export type StormParams = Omit<StormJob, 'kind' | 'host' | 'port' | 'runId'>;

export type Scenario =
  | { id: string; kind: 'throughput'; params: ThroughputParams }
  | { id: string; kind: 'storm'; params: StormParams };

export interface ScenarioOptions {
  maxMs: number;
  warmupMs: number;
  maxMessages: number;
  stormClients: number;
  /** `--quick`: every run short, paced ones too (a smoke test of the bench, not figures). */
  quick: boolean;
}

const FAN_IN_PUBLISHERS = 4;
const FAN_OUT_SUBSCRIBERS = 8;
const WINDOW = 500;
/** Paced runs: an equal, moderate load every broker keeps up with, so latencies compare. */
const PACED_RATE = 5000;
/** And a light one: what a single message waits (write coalescing must not add latency here). */
const LIGHT_PACED_RATE = 500;
/**
 * A paced run's p99 needs thousands of samples from a warm broker: brokers start fresh each round,
 * and in the first second JIT compilation alone puts hundreds of messages above 1 ms. So paced runs
 * warm up for PACED_WARMUP_MS and then measure for at least PACED_SAMPLES messages.
 */
const PACED_WARMUP_MS = 1000;
const PACED_SAMPLES = 3000;

export function buildScenarios(o: ScenarioOptions): Scenario[] {
  // The storm goes first: each round starts fresh brokers, so it measures memory on an idle one.
  const out: Scenario[] = [
    {
      id: `storm ${o.stormClients} connect+subscribe`,
      kind: 'storm',
      params: { clients: o.stormClients, concurrency: 100, maxMs: 20_000 },
    },
  ];
  const base = { maxMessages: o.maxMessages, maxMs: o.maxMs, window: WINDOW, warmupMs: o.warmupMs, rate: 0 };
  for (const shape of ['fan-in', 'fan-out'] as const) {
    for (const qos of [0, 1] as const) {
      for (const payloadBytes of [16, 1024]) {
        const fanName = shape === 'fan-in' ? `${FAN_IN_PUBLISHERS}x1` : `1x${FAN_OUT_SUBSCRIBERS}`;
        out.push({
          id: `${shape} ${fanName} q${qos} ${payloadBytes === 1024 ? '1KiB' : `${payloadBytes}B`}`,
          kind: 'throughput',
          params: { ...base, shape, publishers: FAN_IN_PUBLISHERS, subscribers: FAN_OUT_SUBSCRIBERS, qos, payloadBytes },
        });
      }
    }
  }
  for (const rate of [PACED_RATE, LIGHT_PACED_RATE]) {
    const warmupMs = o.quick ? o.warmupMs : PACED_WARMUP_MS;
    const measureMs = o.quick ? o.maxMs : Math.max(4 * o.maxMs, (PACED_SAMPLES * 1000) / rate);
    out.push({
      id: `paced ${rate}/s fan-in ${FAN_IN_PUBLISHERS}x1 q1 16B`,
      kind: 'throughput',
      params: { ...base, shape: 'fan-in', publishers: FAN_IN_PUBLISHERS, subscribers: 1, qos: 1, payloadBytes: 16, rate, warmupMs, maxMs: warmupMs + measureMs },
    });
  }
  return out;
}
