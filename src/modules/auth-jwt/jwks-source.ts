/**
 * The key set of a JWKS URL, fetched at start and again every refresh interval (4.x
 * auth.jwt.jwks.refresh_interval). A failed fetch keeps the last good set and makes the module
 * degraded through its guard; the next refresh tries again.
 */
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { BackendGuard } from '../auth-common/index.js';
import { fetchJson } from './fetch-json.js';

export type JwksGetter = ReturnType<typeof createLocalJWKSet>;

export class JwksSource {
  private keys: JwksGetter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastFetchOk = false;
  /** Completed fetches (tests wait on it instead of on time). */
  fetches = 0;

  constructor(
    readonly url: string,
    readonly refreshMs: number,
    private readonly guard: BackendGuard,
  ) {}

  /** The first fetch (bounded by the guard's timeout), then the refresh timer. */
  async start(): Promise<void> {
    await this.refresh();
  }

  getter(): JwksGetter | undefined {
    return this.keys;
  }

  /** False while no key set could be fetched, or the last refresh failed. */
  healthy(): boolean {
    return this.lastFetchOk;
  }

  async refresh(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const result = await this.guard.run('jwks fetch', async (signal) => createLocalJWKSet((await fetchJson(this.url, signal)) as JSONWebKeySet));
    this.fetches++;
    if (this.stopped) return;
    this.lastFetchOk = result.ok;
    if (result.ok) this.keys = result.value;
    this.timer = setTimeout(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
