/** Jobs the orchestrator sends to the load generator child, and what it answers. */

export interface ThroughputJob {
  kind: 'throughput';
  host: string;
  port: number;
  /** Subscribers connect here when set (cluster: publish on one node, receive on another). */
  subscriberPort?: number;
  /** fan-in: `publishers` -> 1 subscriber; fan-out: 1 publisher -> `subscribers`. */
  shape: 'fan-in' | 'fan-out';
  publishers: number;
  subscribers: number;
  qos: 0 | 1;
  payloadBytes: number;
  /** Stop publishing after this many messages in total... */
  maxMessages: number;
  /** ...or after this long, whichever comes first. */
  maxMs: number;
  /** Messages published but not yet delivered to every subscriber, at most (closed loop). */
  window: number;
  /** Messages/s in total; 0 = as fast as the window allows (closed loop). */
  rate: number;
  /** Deliveries of messages sent before this point are not counted (JIT warm-up). */
  warmupMs: number;
  /** Unique per run, so client ids never collide with a previous run's leftovers. */
  runId: string;
}

export interface ThroughputResult {
  kind: 'throughput';
  'published/s': number;
  'delivered/s': number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  published: number;
  delivered: number;
  /** Deliveries expected (published x fan) but never seen. */
  lost: number;
  /** Times the window stayed full without progress and its messages were written off as lost. */
  stalls: number;
  /** The load generator's own CPU use (100 = one core): near 100, the figure is ours, not the broker's. */
  loadgen_cpu_pct: number;
  elapsed_ms: number;
}

export interface StormJob {
  kind: 'storm';
  host: string;
  port: number;
  clients: number;
  /** Connects in flight at once. */
  concurrency: number;
  maxMs: number;
  runId: string;
}

export interface StormResult {
  kind: 'storm';
  connected: number;
  'connects/s': number;
  elapsed_ms: number;
}

/** Storm clients stay connected until `release`, so the orchestrator can read the broker's RSS. */
export interface ReleaseJob {
  kind: 'release';
}

export interface ReleaseResult {
  kind: 'release';
  closed: number;
}

export type LoadJob = ThroughputJob | StormJob | ReleaseJob;
export type LoadResult = ThroughputResult | StormResult | ReleaseResult | { kind: 'error'; message: string };
