import type { MaybePromise } from './hooks.js';

/** A hook that takes longer than this counts as 'ignore' (so a connect or publish never hangs). */
export const HOOK_TIMEOUT_MS = 5000;

type Decision = { result: string };

/**
 * Runs a decision chain: the first non-'ignore' answer wins; `done(undefined)` when all ignore.
 * Synchronous hooks are run in a plain loop (no promise allocated); only a hook that returns a
 * promise costs a timer. A hook that throws, rejects, returns garbage or times out counts as
 * 'ignore' and is reported through `onError`.
 */
export function runChain<H, D extends Decision>(
  hooks: readonly H[],
  invoke: (hook: H) => MaybePromise<D>,
  onError: (error: unknown, index: number) => void,
  done: (decision: D | undefined) => void,
  timeoutMs = HOOK_TIMEOUT_MS,
): void {
  let i = 0;
  const step = (): void => {
    for (; i < hooks.length; i++) {
      let out: MaybePromise<D>;
      try {
        out = invoke(hooks[i]!);
      } catch (error) {
        onError(error, i);
        continue;
      }
      if (isThenable(out)) {
        const index = i++;
        awaitDecision(out, index, timeoutMs, onError, (decision) => {
          if (decision !== undefined) done(decision);
          else step();
        });
        return;
      }
      const decision = checkDecision(out, i, onError);
      if (decision !== undefined) {
        done(decision);
        return;
      }
    }
    done(undefined);
  };
  step();
}

function awaitDecision<D extends Decision>(
  promise: PromiseLike<D>,
  index: number,
  timeoutMs: number,
  onError: (error: unknown, index: number) => void,
  next: (decision: D | undefined) => void,
): void {
  let settled = false;
  const timer = setTimeout(() => {
    if (settled) return;
    settled = true;
    onError(new Error(`hook timed out after ${timeoutMs} ms`), index);
    next(undefined);
  }, timeoutMs);
  timer.unref();
  promise.then(
    (value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      next(checkDecision(value, index, onError));
    },
    (error: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      onError(error, index);
      next(undefined);
    },
  );
}

function checkDecision<D extends Decision>(
  value: D,
  index: number,
  onError: (error: unknown, index: number) => void,
): D | undefined {
  if (value === null || typeof value !== 'object' || typeof value.result !== 'string') {
    onError(new Error(`hook returned an invalid decision: ${String(value)}`), index);
    return undefined;
  }
  if (value.result === 'allow' || value.result === 'deny') return value;
  if (value.result !== 'ignore') onError(new Error(`hook returned unknown result ${value.result}`), index);
  return undefined;
}

function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}
