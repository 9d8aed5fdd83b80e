import type { BrokerApi, ClientStats } from '../../broker/broker-api.js';
import type { TopClient, TopClients, TopClientsBy } from './service.js';

/** Rates are measured against the snapshot of an earlier query at least this old. */
const MIN_WINDOW_MS = 1_000;
/** The reference snapshot is replaced once it is this old, so rates stay recent. */
const REFRESH_MS = 10_000;

interface Snapshot {
  at: number;
  counts: Map<string, { received: number; sent: number }>;
}

/**
 * Ranks clients by the broker's per-client counters. Computed only when asked (no timer): rates
 * compare with the counters seen by an earlier query, or average since connect on the first one.
 */
export class TopClientsView {
  private reference: Snapshot | undefined;

  constructor(
    private readonly broker: BrokerApi,
    private readonly now: () => number = Date.now,
  ) {}

  top(by: TopClientsBy, limit: number): TopClients {
    if (typeof this.broker.clientStats !== 'function') return { by, counters: false, window_seconds: null, clients: [] };
    const t = this.now();
    const stats = this.broker.clientStats();
    const ref = this.reference !== undefined && t - this.reference.at >= MIN_WINDOW_MS ? this.reference : undefined;
    const rows = stats.map((s) => this.row(s, t, ref));
    if (this.reference === undefined || t - this.reference.at >= REFRESH_MS) {
      const counts = new Map<string, { received: number; sent: number }>();
      for (const s of stats) counts.set(s.clientId, { received: s.received, sent: s.sent });
      this.reference = { at: t, counts };
    }
    rows.sort((a, b) => b[by] - a[by] || (a.clientid < b.clientid ? -1 : a.clientid > b.clientid ? 1 : 0));
    return { by, counters: true, window_seconds: ref ? round((t - ref.at) / 1000) : null, clients: rows.slice(0, limit) };
  }

  private row(s: ClientStats, t: number, ref: Snapshot | undefined): TopClient {
    const info = this.broker.client(s.clientId);
    const before = ref?.counts.get(s.clientId);
    let from = ref?.at ?? info?.connectedAt ?? t;
    let base = before ?? { received: 0, sent: 0 };
    if (ref && !before) {
      // Connected after the reference snapshot: average since connect.
      from = info?.connectedAt ?? t;
      base = { received: 0, sent: 0 };
    }
    const seconds = Math.max((t - from) / 1000, 1e-3);
    const rateIn = round(Math.max(0, s.received - base.received) / seconds);
    const rateOut = round(Math.max(0, s.sent - base.sent) / seconds);
    return {
      clientid: s.clientId,
      username: info?.username ?? null,
      inflight: s.inflight,
      queued: s.queued,
      queued_bytes: s.queuedBytes,
      received: s.received,
      sent: s.sent,
      rate_in: rateIn,
      rate_out: rateOut,
      rate: round(rateIn + rateOut),
    };
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
