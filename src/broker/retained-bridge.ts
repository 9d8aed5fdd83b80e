import { Readable } from 'node:stream';
import type { Aedes, PublishPacket } from 'aedes';
import type { RetainedMessage, RetainedStore } from './hooks.js';
import type { PipelineContext } from './pipeline-context.js';

/** What aedes hands its persistence for a retained publish (an aedes Packet). */
type RetainPacket = PublishPacket & { messageExpiry?: number };
interface RetainedPersistence {
  storeRetained(packet: RetainPacket): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): Readable;
  createRetainedStream?(pattern: string): Readable;
}

// Per-hop or recomputed properties: never stored with a retained message.
const DROPPED_PROPERTIES = new Set(['topicAlias', 'subscriptionIdentifier', 'messageExpiryInterval']);

/** The broker's retained store: the first registered (module order), or none. */
export function currentStore(ctx: PipelineContext): RetainedStore | undefined {
  return ctx.hooks.chains.retainedStore[0];
}

/**
 * Replaces aedes' retained storage with the RetainedStore hook: aedes keeps calling
 * `persistence.storeRetained` (from publish) and `createRetainedStreamCombi` (on SUBSCRIBE, after
 * it applied retain handling 0/1/2), and both now go to the module's store. Without a store the
 * retain flag is ignored, as in EMQX without its retainer. Errors of the store are logged, never
 * thrown into aedes (a failing store must not break routing).
 */
export function bridgeRetained(aedes: Aedes, ctx: PipelineContext): void {
  const persistence = (aedes as unknown as { persistence: RetainedPersistence }).persistence;

  persistence.storeRetained = async (packet: RetainPacket): Promise<void> => {
    const store = currentStore(ctx);
    if (store === undefined) return;
    try {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      if (payload === undefined || payload.length === 0) {
        store.remove(packet.topic);
        return;
      }
      store.store(toRetained(packet, payload));
    } catch (error) {
      ctx.log.error({ err: error, topic: packet.topic }, 'retained store failed; message not stored');
    }
  };

  persistence.createRetainedStreamCombi = (patterns: string[]): Readable => Readable.from(retainedPackets(ctx, patterns));
  persistence.createRetainedStream = (pattern: string): Readable => Readable.from(retainedPackets(ctx, [pattern]));
}

function toRetained(packet: RetainPacket, payload: Buffer): RetainedMessage {
  const message: RetainedMessage = { topic: packet.topic, payload, qos: packet.qos, storedAt: Date.now() };
  const properties = storedProperties(packet.properties as Record<string, unknown> | undefined);
  if (properties !== undefined) message.properties = properties;
  // aedes sets messageExpiry (epoch ms) only for an MQTT 5 Message Expiry Interval > 0.
  if (typeof packet.messageExpiry === 'number') message.expiresAt = packet.messageExpiry;
  return message;
}

function storedProperties(properties: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (properties === undefined) return undefined;
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(properties)) {
    if (DROPPED_PROPERTIES.has(key) || value === undefined) continue;
    (out ??= {})[key] = value;
  }
  return out;
}

/** Retained messages for a SUBSCRIBE's filters as aedes packets; shared filters (and their NUL-prefixed keys) get none. */
function* retainedPackets(ctx: PipelineContext, patterns: string[]): Generator<RetainPacket> {
  const store = currentStore(ctx);
  if (store === undefined) return;
  const seen = new Map<string, RetainedMessage>();
  const now = Date.now();
  for (const pattern of patterns) {
    if (pattern.startsWith('$share/') || pattern.startsWith('$queue/') || pattern.charCodeAt(0) === 0) continue;
    let found: RetainedMessage[];
    try {
      found = store.match(pattern);
    } catch (error) {
      ctx.log.error({ err: error, filter: pattern }, 'retained store lookup failed');
      continue;
    }
    for (const m of found) {
      if (m.expiresAt !== undefined && m.expiresAt <= now) continue;
      if (!seen.has(m.topic)) seen.set(m.topic, m);
    }
  }
  // Oldest first, as EMQX sorts by the original timestamp.
  const sorted = [...seen.values()].sort((a, b) => a.storedAt - b.storedAt);
  for (const m of sorted) {
    const packet = { cmd: 'publish', topic: m.topic, payload: m.payload, qos: m.qos, retain: true, dup: false } as RetainPacket;
    if (m.properties !== undefined) (packet as { properties?: unknown }).properties = { ...m.properties };
    if (m.expiresAt !== undefined) packet.messageExpiry = m.expiresAt;
    yield packet;
  }
}
