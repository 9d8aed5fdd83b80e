import type { Logger } from 'pino';
import type { RetainedMessage, RetainedStore } from '../../broker/hooks.js';
import type { RetainedBackend, RetainedStorage } from './ram-backend.js';
import type { RetainerPolicy } from './policy.js';

/** Why a retained message was not stored (counted, for status and tests). */
export interface RetainerCounters {
  stored: number;
  removed: number;
  refusedTooBig: number;
  refusedFull: number;
  expired: number;
}

/**
 * The RetainedStore the broker calls: applies the limits and the expiry policy in front of a
 * backend. Expired messages are never returned, whether or not the sweep has run yet.
 */
export class Retainer implements RetainedStore {
  readonly counters: RetainerCounters = { stored: 0, removed: 0, refusedTooBig: 0, refusedFull: 0, expired: 0 };
  private fullLogged = false;

  constructor(
    private backend: RetainedBackend,
    private policy: RetainerPolicy,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.backend.size;
  }

  get storage(): RetainedStorage {
    return this.backend.kind;
  }

  store(message: RetainedMessage): void {
    const { maxPayloadBytes, maxMessages, expiryMs } = this.policy;
    if (maxPayloadBytes > 0 && message.payload.length > maxPayloadBytes) {
      // Delivered by the broker, just not kept (EMQX semantics).
      this.counters.refusedTooBig++;
      this.log.debug({ topic: message.topic, bytes: message.payload.length }, 'retained payload too big; not stored');
      return;
    }
    if (maxMessages > 0 && this.backend.size >= maxMessages && this.backend.get(message.topic) === undefined) {
      this.counters.refusedFull++;
      if (!this.fullLogged) {
        this.fullLogged = true;
        this.log.warn({ max: maxMessages, topic: message.topic }, 'retained message store full; new topics are not stored');
      }
      return;
    }
    const stored: RetainedMessage = { topic: message.topic, payload: message.payload, qos: message.qos, storedAt: message.storedAt };
    if (message.properties !== undefined) stored.properties = message.properties;
    // The message's own MQTT 5 expiry wins over the configured interval.
    const expiresAt = message.expiresAt ?? (expiryMs > 0 ? message.storedAt + expiryMs : undefined);
    if (expiresAt !== undefined) stored.expiresAt = expiresAt;
    this.backend.put(stored);
    this.counters.stored++;
  }

  remove(topic: string): void {
    if (this.backend.delete(topic)) {
      this.counters.removed++;
      this.fullLogged = false;
    }
  }

  match(filter: string): RetainedMessage[] {
    const now = this.now();
    return this.backend.match(filter).filter((m) => m.expiresAt === undefined || m.expiresAt > now);
  }

  /** Every live message (API listing, migration). */
  list(): RetainedMessage[] {
    const now = this.now();
    return [...this.backend.values()].filter((m) => m.expiresAt === undefined || m.expiresAt > now);
  }

  /** Removes expired messages; returns how many. */
  sweep(): number {
    const now = this.now();
    if (this.backend.sweepExpired) {
      const swept = this.backend.sweepExpired(now);
      this.counters.expired += swept;
      if (swept > 0) this.fullLogged = false;
      return swept;
    }
    const expired: string[] = [];
    for (const m of this.backend.values()) if (m.expiresAt !== undefined && m.expiresAt <= now) expired.push(m.topic);
    for (const topic of expired) this.backend.delete(topic);
    this.counters.expired += expired.length;
    if (expired.length > 0) this.fullLogged = false;
    return expired.length;
  }

  setPolicy(policy: RetainerPolicy): void {
    this.policy = policy;
  }

  /** Moves every live message to `next` and makes it current; returns the previous backend. */
  migrateTo(next: RetainedBackend): RetainedBackend {
    next.replaceAll(this.list());
    const previous = this.backend;
    this.backend = next;
    return previous;
  }

  close(): void {
    this.backend.close();
  }
}
