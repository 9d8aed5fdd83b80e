/**
 * Every call an auth module makes to its backend (SQL, Redis, HTTP, LDAP, JWKS...) goes through a
 * BackendGuard: a timeout (the call gets an AbortSignal and is abandoned when it fires), the
 * module's `on_backend_error` answer (ignore | deny), and the module's health: degraded, with the
 * reason, while the last call failed; running again after the next success.
 */
import type { Logger } from 'pino';
import type { AclDecision, AuthDecision } from '../../broker/hooks.js';
import type { InstanceHealth } from '../runtime/module-type.js';

export interface BackendGuardOptions {
  /** Longest wait for one call, ms. */
  timeoutMs: number;
  /** Answer when the backend cannot be asked: pass to the next module, or refuse. */
  onError: 'ignore' | 'deny';
  log: Logger;
  /** Backend name for logs and the degraded reason (`mysql 127.0.0.1:3306`). */
  name: string;
}

export type GuardResult<T> = { ok: true; value: T } | { ok: false; error: Error };

/** MQTT 5 CONNACK 0x88 Server unavailable (3.1.1: 0x03), what 4.x answered for a dead backend. */
export const SERVER_UNAVAILABLE = 0x88;

export class BackendTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`);
    this.name = 'BackendTimeoutError';
  }
}

export class BackendGuard {
  private opts: BackendGuardOptions;
  private failure: string | undefined;

  constructor(opts: BackendGuardOptions) {
    this.opts = { ...opts };
  }

  /** Hot update of timeout / on_backend_error (the name and logger stay). */
  configure(next: Partial<Pick<BackendGuardOptions, 'timeoutMs' | 'onError'>>): void {
    this.opts = { ...this.opts, ...next };
  }

  /**
   * Runs `call` with a timeout. Never rejects: a failure (error or timeout) comes back as
   * `{ok: false}` and marks the backend degraded; a success clears that. `what` names the call
   * (`auth query`). The signal aborts when the timeout fires: pass it on where the client allows.
   */
  async run<T>(what: string, call: (signal: AbortSignal) => Promise<T>): Promise<GuardResult<T>> {
    const controller = new AbortController();
    const ms = this.opts.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new BackendTimeoutError(`${this.opts.name}: ${what}`, ms);
        controller.abort(error);
        reject(error);
      }, ms);
    });
    let pending: Promise<T> | undefined;
    try {
      pending = Promise.resolve().then(() => call(controller.signal));
      const value = await Promise.race([pending, timeout]);
      this.succeeded();
      return { ok: true, value };
    } catch (caught) {
      // A late rejection of the abandoned call must not become an unhandled rejection.
      pending?.catch(() => undefined);
      return this.failedWith(what, caught);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * `run` for a call that cannot hang, such as a read of a local SQLite file: the same health and
   * error answer, without the timer and AbortController (a timer could not interrupt a synchronous
   * read anyway). That matters on the connect path, where every CONNECT and SUBSCRIBE asks.
   */
  async runLocal<T>(what: string, call: () => Promise<T>): Promise<GuardResult<T>> {
    try {
      const value = await call();
      this.succeeded();
      return { ok: true, value };
    } catch (caught) {
      return this.failedWith(what, caught);
    }
  }

  /** Marks the backend down from outside a call (a connection's `error` event). */
  degrade(reason: string): void {
    if (this.failure === undefined) this.opts.log.warn({ backend: this.opts.name, reason }, 'auth backend degraded');
    this.failure = reason;
  }

  /** Marks the backend up from outside a call (reconnected). */
  recover(): void {
    this.succeeded();
  }

  health(): InstanceHealth {
    return this.failure === undefined ? { state: 'running' } : { state: 'degraded', reason: this.failure };
  }

  /** The authentication answer when the backend failed. */
  authFailure(): AuthDecision {
    if (this.opts.onError === 'ignore') return { result: 'ignore' };
    return { result: 'deny', reasonCode: SERVER_UNAVAILABLE, reason: `${this.opts.name} unavailable` };
  }

  /** The authorization answer when the backend failed. */
  aclFailure(): AclDecision {
    if (this.opts.onError === 'ignore') return { result: 'ignore' };
    return { result: 'deny', reason: `${this.opts.name} unavailable` };
  }

  private succeeded(): void {
    if (this.failure !== undefined) this.opts.log.info({ backend: this.opts.name }, 'auth backend recovered');
    this.failure = undefined;
  }

  private failedWith(what: string, caught: unknown): GuardResult<never> {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    this.failed(what, error);
    return { ok: false, error };
  }

  private failed(what: string, error: Error): void {
    const reason = `${this.opts.name}: ${what} failed: ${error.message}`;
    if (this.failure === undefined) this.opts.log.warn({ backend: this.opts.name, err: error }, 'auth backend degraded');
    else this.opts.log.debug({ backend: this.opts.name, err: error }, 'auth backend call failed');
    this.failure = reason;
  }
}
