import { monitorEventLoopDelay, performance, PerformanceObserver, type IntervalHistogram, type EventLoopUtilization } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { EventLoopStats, GcStats, HandleStats, MemoryStats } from './service.js';

/** perf_hooks GC kinds (NODE_PERFORMANCE_GC_*). */
const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
const NS_PER_MS = 1e6;
const round = (n: number): number => Math.round(n * 1000) / 1000;
const ms = (ns: number): number => (Number.isFinite(ns) ? round(ns / NS_PER_MS) : 0);

/**
 * Event-loop delay histogram, event-loop utilization and GC observation, live between start() and
 * stop(). Reading is cheap; nothing runs per message.
 */
export class RuntimeStats {
  private histogram: IntervalHistogram | undefined;
  private observer: PerformanceObserver | undefined;
  private startedAt = 0;
  private elu: EventLoopUtilization | undefined;
  private gc: { counts: Record<string, number>; pause: number; last: GcStats['last'] } = { counts: {}, pause: 0, last: null };

  start(): void {
    if (this.histogram) return;
    this.startedAt = Date.now();
    this.elu = performance.eventLoopUtilization();
    this.gc = { counts: { minor: 0, major: 0, incremental: 0, weakcb: 0 }, pause: 0, last: null };
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    this.histogram = histogram;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as unknown as { detail?: { kind?: number } }).detail;
        const kind = GC_KINDS[detail?.kind ?? 0] ?? 'other';
        this.gc.counts[kind] = (this.gc.counts[kind] ?? 0) + 1;
        this.gc.pause += entry.duration;
        this.gc.last = { kind, duration_ms: round(entry.duration), at: new Date(performance.timeOrigin + entry.startTime).toISOString() };
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    this.observer = observer;
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = undefined;
    this.observer?.disconnect();
    this.observer = undefined;
  }

  running(): boolean {
    return this.histogram !== undefined;
  }

  eventLoop(): EventLoopStats {
    const h = this.histogram;
    const utilization = this.elu ? performance.eventLoopUtilization(this.elu).utilization : 0;
    return {
      since: new Date(this.startedAt).toISOString(),
      samples: h?.count ?? 0,
      min: h && h.count > 0 ? ms(h.min) : 0,
      max: h && h.count > 0 ? ms(h.max) : 0,
      mean: h && h.count > 0 ? ms(h.mean) : 0,
      stddev: h && h.count > 0 ? ms(h.stddev) : 0,
      percentiles: {
        p50: h && h.count > 0 ? ms(h.percentile(50)) : 0,
        p90: h && h.count > 0 ? ms(h.percentile(90)) : 0,
        p99: h && h.count > 0 ? ms(h.percentile(99)) : 0,
        p999: h && h.count > 0 ? ms(h.percentile(99.9)) : 0,
      },
      utilization: round(utilization),
    };
  }

  memory(): MemoryStats {
    const heap: Record<string, number> = {};
    for (const [k, v] of Object.entries(v8.getHeapStatistics())) heap[k] = v as number;
    return {
      process: process.memoryUsage(),
      heap,
      heap_spaces: v8.getHeapSpaceStatistics().map((s) => ({
        space: s.space_name,
        size: s.space_size,
        used: s.space_used_size,
        available: s.space_available_size,
      })),
      gc: { counts: { ...this.gc.counts }, total_pause_ms: round(this.gc.pause), last: this.gc.last },
    };
  }

  handles(): HandleStats {
    const byType: Record<string, number> = {};
    const all = process.getActiveResourcesInfo();
    for (const type of all) byType[type] = (byType[type] ?? 0) + 1;
    return { total: all.length, by_type: byType };
  }
}
