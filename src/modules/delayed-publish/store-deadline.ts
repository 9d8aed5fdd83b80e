/**
 * A store call with a deadline, for the publish path: a Redis that hangs (stopped, partitioned)
 * must not hold a publisher's PUBACK forever. ioredis fails fast only when the connection is down.
 */
export class StoreTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`the store did not answer within ${ms} ms`);
    this.name = 'StoreTimeoutError';
  }
}

/**
 * `pending`, or a {@link StoreTimeoutError} after `ms`. A value that arrives after the deadline goes
 * to `late` (the caller already reported a failure, so it can undo the write); a late error is dropped.
 */
export function withDeadline<T>(pending: Promise<T>, ms: number, late: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      reject(new StoreTimeoutError(ms));
    }, ms);
    pending.then(
      (value) => {
        if (expired) return late(value);
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (expired) return;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
