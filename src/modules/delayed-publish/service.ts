import type { DelayedQueue } from './delayed-queue.js';
import type { DelayedMessage } from './delayed-store.js';

/** The name the module exposes its service under (`ctx.expose`), read by the API routes. */
export const DELAYED_SERVICE = 'delayed-publish';

/** A held message as the API shows it. Times are ISO 8601; `remaining` is whole seconds (>= 0). */
export interface DelayedEntry {
  id: number;
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  from_clientid: string | null;
  from_username: string | null;
  publish_at: string;
  created_at: string;
  remaining: number;
  payload_size: number;
}

/** {@link DelayedEntry} plus the payload (base64), for a single message. */
export interface DelayedEntryWithPayload extends DelayedEntry {
  payload: string;
}

/**
 * What the delayed-publish module offers the node (the `/api/v1/delayed` routes). In cluster mode
 * it answers for the whole cluster (the shared queue), from any node.
 */
export interface DelayedPublishService {
  /** Held messages in due order; `topic` selects one target topic exactly. */
  list(query: { offset: number; limit: number; topic?: string }): Promise<{ total: number; items: DelayedEntry[] }>;
  get(id: number): Promise<DelayedEntryWithPayload | undefined>;
  /** False when no such message is held. */
  delete(id: number): Promise<boolean>;
  /** Removes every held message for `topic`; resolves with how many. */
  deleteTopic(topic: string): Promise<number>;
  /** `max` 0 = unlimited. */
  stats(): { count: number; max: number };
}

export function toEntry(m: DelayedMessage, nowMs: number): DelayedEntry {
  return {
    id: m.id,
    topic: m.topic,
    qos: m.qos,
    retain: m.retain,
    from_clientid: m.fromClientId,
    from_username: m.fromUsername,
    publish_at: new Date(m.publishAt).toISOString(),
    created_at: new Date(m.createdAt).toISOString(),
    remaining: Math.max(0, Math.ceil((m.publishAt - nowMs) / 1000)),
    payload_size: m.payload.length,
  };
}

export function createDelayedService(
  store: DelayedQueue,
  limit: () => number,
  changed: () => void,
  now: () => number = Date.now,
): DelayedPublishService {
  return {
    async list({ offset, limit: pageSize, topic }) {
      const page = await store.list(offset, pageSize, topic);
      const t = now();
      return { total: page.total, items: page.items.map((m) => toEntry(m, t)) };
    },
    async get(id) {
      const m = await store.get(id);
      return m ? { ...toEntry(m, now()), payload: m.payload.toString('base64') } : undefined;
    },
    async delete(id) {
      const deleted = await store.delete(id);
      if (deleted) changed();
      return deleted;
    },
    async deleteTopic(topic) {
      const n = await store.deleteTopic(topic);
      if (n > 0) changed();
      return n;
    },
    stats: () => ({ count: store.count(), max: limit() }),
  };
}
