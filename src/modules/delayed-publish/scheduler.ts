import type { Logger } from 'pino';
import { whenReady, type DelayedQueue } from './delayed-queue.js';
import type { DelayedMessage } from './delayed-store.js';

/** setTimeout's ceiling (~24.8 days); a later message is re-checked when the timer fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const BATCH = 500;

export interface SchedulerOptions {
  store: DelayedQueue;
  /** Publishes one due message; a rejection is logged and the message dropped (never retried forever). */
  publish(message: DelayedMessage): Promise<void>;
  log: Logger;
  now?: () => number;
  /** Called after each message left the store by being published (or failing to). */
  onPublished?: (message: DelayedMessage, error: unknown) => void;
}

/**
 * One unref'd timer for the earliest held message (never one per message). When it fires, every
 * due message is published in due order, each removed from the store after its publish settled
 * (at-least-once across a crash), then the timer is armed for the next one.
 */
export class DelayedScheduler {
  private timer: NodeJS.Timeout | undefined;
  private timerAt: number | undefined;
  private dispatching: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Arms the timer for what the store holds (messages already due go out at once). */
  start(): void {
    this.reschedule();
  }

  /** A message was stored: re-arm only when it is due before the armed timer. */
  added(publishAt: number): void {
    if (this.stopped || this.dispatching !== undefined) return; // the dispatch loop re-arms after
    if (this.timerAt === undefined || publishAt < this.timerAt) this.arm(publishAt);
  }

  /** Messages were deleted: the armed time may now be too early (harmless) or point at nothing. */
  removed(): void {
    if (this.stopped || this.dispatching !== undefined) return;
    this.reschedule();
  }

  /** When the timer is armed for (epoch ms), for tests and stats. */
  armedAt(): number | undefined {
    return this.timerAt;
  }

  /** Clears the timer and waits for a publish in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clear();
    await this.dispatching;
  }

  private reschedule(): void {
    whenReady(
      this.options.store.nextDueAt(),
      (next) => {
        if (this.stopped || this.dispatching !== undefined) return;
        if (next === undefined) this.clear();
        else this.arm(next);
      },
      (error) => this.options.log.error({ err: error }, 'delayed publish: could not read the next due time'),
    );
  }

  private arm(at: number): void {
    this.clear();
    const delay = Math.min(Math.max(0, at - this.now()), MAX_TIMER_MS);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref();
  }

  private clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = undefined;
    this.dispatching = this.dispatch()
      .catch((error: unknown) => this.options.log.error({ err: error }, 'delayed publish dispatch failed'))
      .finally(() => {
        this.dispatching = undefined;
        if (!this.stopped) this.reschedule();
      });
  }

  private async dispatch(): Promise<void> {
    const { store, log } = this.options;
    for (;;) {
      const due = await store.due(this.now(), BATCH);
      if (due.length === 0) return;
      for (const [index, message] of due.entries()) {
        if (this.stopped) return this.handBack(due.slice(index));
        let failure: unknown;
        try {
          await this.options.publish(message);
        } catch (error) {
          failure = error;
          log.warn({ err: error, topic: message.topic, id: message.id }, 'delayed message could not be published; dropped');
        }
        if (this.stopped && failure !== undefined) return this.handBack(due.slice(index)); // kept for the next start
        await store.delete(message.id);
        this.options.onPublished?.(message, failure);
      }
    }
  }

  /** Claimed but not published (stopping): a shared store gives them back to the queue. */
  private async handBack(messages: DelayedMessage[]): Promise<void> {
    if (messages.length > 0) await this.options.store.unclaim?.(messages.map((m) => m.id));
  }
}
