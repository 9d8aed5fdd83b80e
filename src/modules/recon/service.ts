import type { Readable } from 'node:stream';

/** The name the recon module exposes its service under (`ctx.expose`), read by the API routes. */
export const RECON_SERVICE = 'recon';

export type ReconFeature = 'runtime_stats' | 'top_clients' | 'cpu_profile' | 'heap_snapshot';
export type TopClientsBy = 'inflight' | 'queued' | 'rate';

/** Event-loop delay in milliseconds since the module started (perf_hooks monitorEventLoopDelay). */
export interface EventLoopStats {
  since: string;
  samples: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  percentiles: { p50: number; p90: number; p99: number; p999: number };
  /** Share of time the loop was busy since the module started (0..1). */
  utilization: number;
}

export interface GcStats {
  /** Collections by kind (minor, major, incremental, weakcb) since the module started. */
  counts: Record<string, number>;
  total_pause_ms: number;
  last: { kind: string; duration_ms: number; at: string } | null;
}

export interface MemoryStats {
  process: NodeJS.MemoryUsage;
  heap: Record<string, number>;
  heap_spaces: Array<{ space: string; size: number; used: number; available: number }>;
  gc: GcStats;
}

export interface HandleStats {
  total: number;
  by_type: Record<string, number>;
}

export interface TopClient {
  clientid: string;
  username: string | null;
  inflight: number;
  queued: number;
  queued_bytes: number;
  received: number;
  sent: number;
  /** Messages per second in and out, over `window_seconds` (or since connect on a first query). */
  rate_in: number;
  rate_out: number;
  rate: number;
}

export interface TopClients {
  by: TopClientsBy;
  /** False when the broker keeps no per-client counters (the list is then empty). */
  counters: boolean;
  window_seconds: number | null;
  clients: TopClient[];
}

/**
 * What the recon module offers the node (the `/api/v1/recon/...` routes). Feature methods throw
 * a ModmqError 403 when the module config turns the feature off.
 */
export interface ReconService {
  /** Takes one request from the rate limit (every recon endpoint calls this first). */
  acquire(): { ok: true } | { ok: false; retryAfterSeconds: number };
  maxProfileDurationMs(): number;
  eventLoop(): EventLoopStats;
  memory(): MemoryStats;
  handles(): HandleStats;
  topClients(by: TopClientsBy, limit: number): TopClients;
  /** Records a CPU profile for `durationMs` (bounded); resolves with the .cpuprofile JSON. */
  cpuProfile(durationMs: number): Promise<object>;
  /** A heap snapshot as a stream of .heapsnapshot JSON. */
  heapSnapshot(): Readable;
}
