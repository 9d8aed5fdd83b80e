/**
 * Local delivery first, Redis for the other nodes, so a node keeps serving its own clients while
 * Redis is down.
 *
 * A message published on this node goes straight to this node's listeners (mqemitter's in-process
 * `_emit`) and, tagged with this process's origin id, to Redis for the other nodes. The copy that
 * comes back from Redis carries our own origin and is ignored, so nobody gets it twice. While the
 * publishing connection is not ready the Redis copy is dropped at once (no offline queue: memory
 * stays bounded); the drop is logged once per outage and counted.
 *
 * Pub/sub subscriptions: mqemitter-redis subscribes a channel once per topic. Those calls answer at
 * once while Redis is down, and every time the subscriber connection becomes ready again every
 * wanted channel is subscribed afresh (ioredis' own re-subscribe is off: it misses the channels
 * asked for during the outage).
 */
import { randomUUID } from 'node:crypto';
import type { Redis as RedisClient } from 'ioredis';
import type { Logger } from 'pino';

/** Field of a routed message naming the process that published it. */
export const ORIGIN = 'modmqOrigin';

type Done = (error?: Error | null) => void;
type Routed = { topic: string; [ORIGIN]?: string };

interface RedisEmitterInternals<P extends Routed> {
  emit(packet: P, done?: Done): void;
  /** mqemitter's in-process delivery, which mqemitter-redis also calls for each Redis message. */
  _emit(packet: P, done?: Done): void;
}

export interface LocalFirstOptions {
  log: Logger;
  /** Called for each message other nodes did not get because Redis was down. */
  onRemoteDrop?: () => void;
}

/**
 * Rewires an mqemitter-redis instance; returns the emit that delivers here and sends to Redis (the
 * caller orders calls to it, see emit-order.ts).
 */
export function deliverLocallyFirst<P extends Routed>(
  mq: RedisEmitterInternals<P>,
  pubConn: RedisClient,
  options: LocalFirstOptions,
): (packet: P, done?: Done) => void {
  const origin = randomUUID();
  const publishToRedis = mq.emit.bind(mq);
  const deliverHere = mq._emit.bind(mq);
  // Every Redis message passes here: our own were delivered already.
  mq._emit = (packet, done) => {
    if (packet[ORIGIN] === origin) return done?.();
    deliverHere(packet, done);
  };

  let warned = false;
  pubConn.on('ready', () => {
    warned = false;
  });
  const dropped = (error?: Error | null): void => {
    options.onRemoteDrop?.();
    if (warned) return;
    warned = true;
    options.log.warn({ err: error ?? undefined }, 'cluster Redis unreachable: messages reach this node only until it is back');
  };

  return function emitHereAndToRedis(packet, done) {
    let pending = 2;
    const finish = (): void => {
      if (--pending === 0) done?.();
    };
    packet[ORIGIN] = origin;
    deliverHere(packet, finish);
    const internal = packet.topic.startsWith('$SYS/');
    if (pubConn.status !== 'ready') {
      if (!internal) dropped();
      finish();
      return;
    }
    publishToRedis(packet, (error) => {
      if (error && !internal) dropped(error);
      finish();
    });
  };
}

type SubscribeCall = 'subscribe' | 'psubscribe';
const UNDO: Record<string, SubscribeCall> = { unsubscribe: 'subscribe', punsubscribe: 'psubscribe' };

/**
 * Keeps the subscriber connection's channels across outages: (un)subscribe answers at once while
 * the connection is down, and on each `ready` every wanted channel is subscribed again. Call after
 * the channel prefixing wrapper.
 */
export function resubscribeOnReady(conn: RedisClient, log: Logger): void {
  const wanted = new Map<string, SubscribeCall>();
  const c = conn as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const send: Partial<Record<string, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const name of ['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe'] as const) {
    const original = c[name]!.bind(conn);
    send[name] = original;
    c[name] = (channel: unknown, ...rest: unknown[]) => {
      const key = String(channel);
      if (name in UNDO) {
        if (wanted.get(key) === UNDO[name]) wanted.delete(key);
      } else {
        wanted.set(key, name as SubscribeCall);
      }
      const callback = typeof rest.at(-1) === 'function' ? (rest.pop() as (error?: unknown) => void) : undefined;
      if (conn.status !== 'ready') {
        // Re-sent on `ready`; the caller must not wait for Redis meanwhile.
        callback?.();
        return Promise.resolve();
      }
      const sent = original(channel, ...rest);
      sent.then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
      return sent.catch(() => undefined);
    };
  }
  conn.on('ready', () => {
    for (const [channel, how] of wanted) {
      send[how]!(channel).catch((error: unknown) => log.warn({ err: error, channel }, 'cluster Redis: could not subscribe again'));
    }
  });
}
