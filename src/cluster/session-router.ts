/**
 * aedes persistence for a cluster node that survives a Redis outage.
 *
 * - Clean sessions (aedes `client.clean`: session expiry 0) never need Redis: their in-flight
 *   QoS 1/2 state (outgoing*, incoming*) lives in an in-memory aedes-persistence. A clean start
 *   still wipes a previous session of the same id in Redis, when Redis is reachable.
 * - Persistent sessions live in Redis (aedes-persistence-redis). New ones are refused while Redis
 *   is down ({@link refuseSessionsWhileDown}); for one already connected, and for every call not
 *   tied to a client (retained messages, offline queues, wills), a call made while Redis is down
 *   gives up at once with an empty answer instead of failing the publish or the connection:
 *   retained messages and offline-queue entries published meanwhile are not stored.
 * - Wills go to Redis when it is up, for every client: if this node dies another node publishes
 *   them (aedes' will sweep). While Redis is down they are not stored; a client that disconnects
 *   still gets its will published by this node (aedes keeps it on the client).
 */
import { Readable } from 'node:stream';
import type { AuthHandlers } from '../broker/auth-pipeline.js';

type Authenticate = AuthHandlers['authenticate'];

type Session = { id?: string; clean?: boolean };
// aedes' persistence calls, untyped here: this class only forwards them.
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface SessionStore {
  setup(broker: unknown): Promise<void>;
  destroy(): Promise<void>;
  [call: string]: Any;
}

/** Error an aedes authenticate handler returns to send CONNACK "server unavailable". */
export class SessionStoreUnavailable extends Error {
  readonly returnCode = 3;
  constructor() {
    super('session store (cluster Redis) unavailable');
  }
}

export class SessionRouter {
  constructor(
    private readonly redis: SessionStore,
    private readonly memory: SessionStore,
    /** Whether the Redis connection can take commands right now. */
    readonly redisUp: () => boolean,
    /**
     * Whether the other nodes' heartbeats could have been heard (Redis up long enough): before
     * that, aedes' will sweep would take live nodes for dead ones and publish their clients' wills.
     */
    private readonly willSweepSafe: () => boolean = redisUp,
  ) {}

  async setup(broker: unknown): Promise<void> {
    await this.memory.setup(broker);
    await this.redis.setup(broker);
  }

  async destroy(): Promise<void> {
    await this.memory.destroy();
    await this.redis.destroy();
  }

  /** Runs a Redis call; while Redis is down (or it went down during the call), answers FALLBACK. */
  private async soft<T>(call: () => Promise<T>, fallback: T): Promise<T> {
    if (!this.redisUp()) return fallback;
    try {
      return await call();
    } catch (error) {
      if (!this.redisUp()) return fallback;
      throw error;
    }
  }

  private forSession(client: Session): SessionStore | undefined {
    return client.clean === true ? this.memory : undefined;
  }

  // Retained messages.
  storeRetained(packet: Any): Promise<void> {
    return this.soft(() => this.redis.storeRetained(packet), undefined);
  }
  createRetainedStream(pattern: string): Readable {
    return this.redisUp() ? this.redis.createRetainedStream(pattern) : Readable.from([]);
  }
  createRetainedStreamCombi(patterns: string[]): Readable {
    return this.redisUp() ? this.redis.createRetainedStreamCombi(patterns) : Readable.from([]);
  }

  // Subscriptions (aedes stores them for persistent sessions only).
  addSubscriptions(client: Session, subs: Any): Promise<Any> {
    return this.forSession(client)?.addSubscriptions(client, subs) ?? this.soft(() => this.redis.addSubscriptions(client, subs), undefined);
  }
  removeSubscriptions(client: Session, subs: Any): Promise<Any> {
    return this.forSession(client)?.removeSubscriptions(client, subs) ?? this.soft(() => this.redis.removeSubscriptions(client, subs), undefined);
  }
  subscriptionsByClient(client: Session): Promise<Any[]> {
    return this.soft(() => this.redis.subscriptionsByClient(client), []);
  }
  /** In memory in aedes-persistence-redis (kept current through the emitter). */
  subscriptionsByTopic(topic: string): Promise<Any[]> {
    return this.redis.subscriptionsByTopic(topic);
  }
  countOffline(): Promise<Any> {
    return this.soft(() => this.redis.countOffline(), { subscriptions: 0, clients: 0 });
  }
  async cleanSubscriptions(client: Session): Promise<Any> {
    const memory = this.forSession(client);
    if (memory !== undefined) await memory.cleanSubscriptions(client);
    // A clean start also ends an earlier persistent session of this id kept in Redis.
    return this.soft(() => this.redis.cleanSubscriptions(client), undefined);
  }

  // Offline queues and in-flight QoS 1/2 messages.
  outgoingEnqueue(sub: Any, packet: Any): Promise<void> {
    return this.soft(() => this.redis.outgoingEnqueue(sub, packet), undefined);
  }
  outgoingEnqueueCombi(subs: Any[], packet: Any): Promise<void> {
    return this.soft(() => this.redis.outgoingEnqueueCombi(subs, packet), undefined);
  }
  outgoingUpdate(client: Session, packet: Any): Promise<Any> {
    return this.forSession(client)?.outgoingUpdate(client, packet) ?? this.soft(() => this.redis.outgoingUpdate(client, packet), undefined);
  }
  outgoingClearMessageId(client: Session, packet: Any): Promise<Any> {
    return this.forSession(client)?.outgoingClearMessageId(client, packet) ?? this.soft(() => this.redis.outgoingClearMessageId(client, packet), undefined);
  }
  outgoingStream(client: Session): Readable {
    const memory = this.forSession(client);
    if (memory !== undefined) return memory.outgoingStream(client);
    return this.redisUp() ? this.redis.outgoingStream(client) : Readable.from([]);
  }
  incomingStorePacket(client: Session, packet: Any): Promise<void> {
    return this.forSession(client)?.incomingStorePacket(client, packet) ?? this.soft(() => this.redis.incomingStorePacket(client, packet), undefined);
  }
  incomingGetPacket(client: Session, packet: Any): Promise<Any> {
    return this.forSession(client)?.incomingGetPacket(client, packet) ?? this.redis.incomingGetPacket(client, packet);
  }
  incomingDelPacket(client: Session, packet: Any): Promise<void> {
    return this.forSession(client)?.incomingDelPacket(client, packet) ?? this.soft(() => this.redis.incomingDelPacket(client, packet), undefined);
  }

  // Wills: in Redis for the will sweep of the other nodes (see the file comment).
  putWill(client: Session, packet: Any): Promise<Any> {
    return this.soft(() => this.redis.putWill(client, packet), undefined);
  }
  getWill(client: Session): Promise<Any> {
    return this.soft(() => this.redis.getWill(client), null);
  }
  delWill(client: Session): Promise<Any> {
    return this.soft(() => this.redis.delWill(client), null);
  }
  streamWill(brokers: Any): Readable {
    return this.willSweepSafe() ? this.redis.streamWill(brokers) : Readable.from([]);
  }
  getClientList(topic: string): Readable {
    return this.redisUp() ? this.redis.getClientList(topic) : Readable.from([]);
  }
}

/**
 * Wraps an aedes authenticate handler: a session that needs Redis (it outlives the connection, or
 * resumes an earlier one) is refused with CONNACK "server unavailable" (v5 0x88, 3.1.1 code 3)
 * while Redis is down, instead of hanging in the session store.
 */
export function refuseSessionsWhileDown(redisUp: () => boolean, authenticate: Authenticate): Authenticate {
  return (client, username, password, done) => {
    const session = client as unknown as { clean?: boolean; _cleanStart?: boolean };
    const needsRedis = session.clean !== true || session._cleanStart !== true;
    if (needsRedis && !redisUp()) {
      done(new SessionStoreUnavailable() as unknown as Parameters<typeof done>[0], false);
      return;
    }
    authenticate(client, username, password, done);
  };
}
