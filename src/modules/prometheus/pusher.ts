import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { InstanceHealth } from '../runtime/module-type.js';

export interface PushTarget {
  /** Full push URL: `<gateway>/metrics/job/<job>`. */
  endpoint: string;
  headers: Readonly<Record<string, string>>;
  intervalMs: number;
  timeoutMs: number;
}

export type Collect = () => Promise<{ body: string; contentType: string }>;

/**
 * Pushes the registry's text to a Pushgateway every `intervalMs` (first push after one interval,
 * as EMQX does). PUT replaces the whole group, so series that disappeared here disappear there.
 * The next push is scheduled only when the previous one finished: pushes never overlap.
 */
export class Pusher {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private health: InstanceHealth = { state: 'running' };
  /** Counts for tests and logs. */
  successes = 0;
  failures = 0;

  constructor(
    private readonly target: PushTarget,
    private readonly collect: Collect,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule();
  }

  status(): InstanceHealth {
    return this.health;
  }

  /** One push now; resolves when done, never rejects (a failure is reported through status()). */
  async pushOnce(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    try {
      const { body, contentType } = await this.collect();
      const status = await send(this.target, body, contentType, abort.signal);
      if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
      this.successes++;
      if (this.health.state !== 'running') this.log.info({ endpoint: redact(this.target.endpoint) }, 'metrics push recovered');
      this.health = { state: 'running' };
    } catch (err) {
      if (this.stopped) return;
      this.failures++;
      const reason = `push to ${redact(this.target.endpoint)} failed: ${(err as Error).message}`;
      if (this.health.state === 'running') this.log.warn({ err }, reason);
      this.health = { state: 'degraded', reason };
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    await this.inFlight;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.inFlight = this.pushOnce().finally(() => {
        this.inFlight = undefined;
        this.schedule();
      });
    }, this.target.intervalMs);
    this.timer.unref();
  }
}

function send(target: PushTarget, body: string, contentType: string, signal: AbortSignal): Promise<number> {
  const url = new URL(target.endpoint);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        agent: false, // one connection per push: nothing kept open between pushes or after stop()
        headers: { ...target.headers, 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        timeout: target.timeoutMs,
        signal,
      },
      (res: IncomingMessage) => {
        res.resume(); // the body is irrelevant; drain it so the socket closes
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${target.timeoutMs}ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The endpoint without credentials, for logs and status reasons. */
function redact(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
