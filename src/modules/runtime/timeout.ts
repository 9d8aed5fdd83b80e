/** Thrown when a module's create/update/stop does not settle in time. */
export class ModuleTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'ModuleTimeoutError';
  }
}

/**
 * Races `promise` against a timer so one stuck module cannot block the node. `onLate` receives the
 * value if it arrives after the timeout (to stop an instance nobody holds any more).
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onLate?: (value: T) => void): Promise<T> {
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new ModuleTimeoutError(what, ms));
    }, ms);
    // Kept ref'd: the timeout must fire even when nothing else holds the loop; it is always cleared.
  });
  promise.then(
    (value) => {
      if (timedOut) onLate?.(value);
    },
    () => undefined,
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
