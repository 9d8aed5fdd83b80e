import { parseDurationMs } from '../../broker/duration.js';
import { ModmqError } from '../../errors.js';
import type { Problem } from '../../schema/problem.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { heapSnapshotStream, recordCpuProfile } from './profiler.js';
import { RateLimiter } from './rate-limiter.js';
import { RuntimeStats } from './runtime-stats.js';
import { RECON_SERVICE, type ReconFeature, type ReconService } from './service.js';
import { TopClientsView } from './top-clients.js';
import { positiveDuration } from '../runtime/checks.js';

export interface ReconConfig {
  runtime_stats: boolean;
  top_clients: boolean;
  cpu_profile: boolean;
  heap_snapshot: boolean;
  max_profile_duration: string;
  rate_limit: { requests: number; interval: string };
}

interface Compiled {
  config: ReconConfig;
  maxProfileMs: number;
  intervalMs: number;
}

function compile(config: ReconConfig): Compiled {
  const maxProfileMs = parseDurationMs(config.max_profile_duration ?? '30s');
  const intervalMs = parseDurationMs(config.rate_limit?.interval ?? '1m');
  if (!(maxProfileMs > 0)) throw new Error('max_profile_duration must be greater than 0');
  if (!(intervalMs > 0)) throw new Error('rate_limit.interval must be greater than 0');
  return { config, maxProfileMs, intervalMs };
}

const disabled = (feature: ReconFeature): ModmqError =>
  new ModmqError('MODMQ_FORBIDDEN', `${feature} is turned off in the recon module config`, 403, [], { feature });

/**
 * recon: runtime diagnostics served by the API (`/api/v1/recon/...`) through the `recon` service:
 * event-loop delay, heap/GC, active handles, top clients, CPU profiles and heap snapshots.
 * Nothing runs on the message path; the event-loop histogram and GC observer run while enabled.
 */
export const recon: ModuleType<ReconConfig> = {
  type: 'recon',
  family: 'ops',
  schemaVersion: 1,

  check(config: ReconConfig): Problem[] {
    return [
      ...positiveDuration('/max_profile_duration', config.max_profile_duration),
      ...positiveDuration('/rate_limit/interval', config.rate_limit?.interval),
    ];
  },

  async create(ctx: ModuleContext, config: ReconConfig): Promise<ModuleInstance<ReconConfig>> {
    let current = compile(config);
    const limiter = new RateLimiter(current.config.rate_limit?.requests ?? 10, current.intervalMs);
    const stats = new RuntimeStats();
    const top = new TopClientsView(ctx.broker);
    const aborts = new AbortController();
    let profiling = false;
    let snapshotting = false;
    const syncStats = (): void => {
      if (current.config.runtime_stats !== false) stats.start();
      else stats.stop();
    };
    const need = (feature: ReconFeature): void => {
      const on = current.config[feature] ?? (feature !== 'heap_snapshot');
      if (!on) throw disabled(feature);
    };

    const service: ReconService = {
      acquire: () => limiter.acquire(),
      maxProfileDurationMs: () => current.maxProfileMs,
      eventLoop() {
        need('runtime_stats');
        return stats.eventLoop();
      },
      memory() {
        need('runtime_stats');
        return stats.memory();
      },
      handles() {
        need('runtime_stats');
        return stats.handles();
      },
      topClients(by, limit) {
        need('top_clients');
        return top.top(by, limit);
      },
      async cpuProfile(durationMs) {
        need('cpu_profile');
        if (!(durationMs > 0) || durationMs > current.maxProfileMs) {
          throw new ModmqError('MODMQ_INVALID_REQUEST', `duration must be greater than 0 and at most ${current.config.max_profile_duration}`, 400, [
            { pointer: '/duration', keyword: 'maximum', message: `at most ${current.config.max_profile_duration}` },
          ]);
        }
        if (profiling) throw new ModmqError('MODMQ_RATE_LIMITED', 'a CPU profile is already being recorded on this node', 429);
        profiling = true;
        ctx.log.info({ durationMs }, 'recording a CPU profile');
        try {
          return await recordCpuProfile(durationMs, aborts.signal);
        } finally {
          profiling = false;
        }
      },
      heapSnapshot() {
        need('heap_snapshot');
        if (snapshotting) throw new ModmqError('MODMQ_RATE_LIMITED', 'a heap snapshot is already being written on this node', 429);
        snapshotting = true;
        ctx.log.warn('taking a heap snapshot (the node pauses while it is taken)');
        const stream = heapSnapshotStream();
        stream.once('close', () => (snapshotting = false));
        return stream;
      },
    };

    syncStats();
    let unexpose: (() => void) | undefined;
    try {
      unexpose = ctx.expose(RECON_SERVICE, service);
    } catch (error) {
      stats.stop();
      throw error;
    }

    return {
      async update(next: ReconConfig): Promise<void> {
        const compiled = compile(next); // throws before anything changes
        current = compiled;
        limiter.configure(next.rate_limit?.requests ?? 10, compiled.intervalMs);
        syncStats();
      },
      async stop(): Promise<void> {
        unexpose?.();
        aborts.abort();
        stats.stop();
      },
      status: () => ({ state: 'running' }),
    };
  },
};
