/**
 * What the scheduler and the service need from where held messages live: the node's SQLite file
 * (delayed-store.ts, synchronous) or, in cluster mode, the cluster's Redis (redis-delayed-store.ts,
 * asynchronous). Callers `await` every result, so both fit.
 */
import type { DelayedMessage, NewDelayedMessage } from './delayed-store.js';

export type Awaitable<T> = T | Promise<T>;

export interface DelayedQueue {
  /** How many messages are held (cluster-wide on Redis: as last seen). Synchronous: the publish path reads it. */
  count(): number;
  /** The new message's id; 0 when a shared store refused it (max_delayed_messages reached cluster-wide). */
  insert(message: NewDelayedMessage, max: number): Awaitable<number>;
  /**
   * The earliest messages due at `nowMs`, oldest first. On a shared store they are claimed: no
   * other node gets them; `delete` acknowledges one after its publish, `unclaim` hands back the
   * ones not published (a stop in the middle of a batch).
   */
  due(nowMs: number, limit: number): Awaitable<DelayedMessage[]>;
  unclaim?(ids: number[]): Awaitable<void>;
  nextDueAt(): Awaitable<number | undefined>;
  get(id: number): Awaitable<DelayedMessage | undefined>;
  delete(id: number): Awaitable<boolean>;
  deleteTopic(topic: string): Awaitable<number>;
  list(offset: number, limit: number, topic?: string): Awaitable<{ total: number; items: DelayedMessage[] }>;
  close(): Awaitable<void>;
}

/** Runs `then` on a value now, or when its promise settles (keeps synchronous stores synchronous). */
export function whenReady<T>(value: Awaitable<T>, then: (value: T) => void, failed: (error: unknown) => void): void {
  if (value instanceof Promise) value.then(then, failed);
  else then(value);
}
