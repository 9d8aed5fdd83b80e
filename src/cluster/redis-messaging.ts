/**
 * Messages across the nodes of a cluster: aedes routes through `mqemitter-redis` (Redis pub/sub)
 * and keeps sessions (subscriptions, offline queues, wills) in `aedes-persistence-redis`.
 *
 * Both are namespaced by cluster name so two clusters can share one Redis:
 *   pub/sub channels  `modmq:{<name>}/<mqtt topic>` (the `/` keeps MQTT wildcards whole levels)
 *   persistence keys  `modmq:{<name>}:aedes:...`   (ioredis keyPrefix)
 *   Session Present   `modmq:{<name>}:session:<clientId>` (redis-session-records.ts)
 *   session expiry    `modmq:{<name>}:expiry:...` (session-expiry-records.ts: sessions of a node
 *                     that is gone still expire, orphan-session-expiry.ts)
 *
 * Each message is processed once, by the node where it was published: aedes runs its publish steps
 * (our ACL/rewrite/messagePublish/retain pipeline, offline queueing) and then `mq.emit`s it; every
 * node gets it from Redis and only delivers it to its local subscribers. The publishing node
 * delivers to its own subscribers directly and ignores its copy from Redis, so it keeps serving its
 * clients while Redis is down (local-first-emitter.ts); clean sessions keep their state in memory
 * and persistent ones are refused meanwhile (session-router.ts).
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import type { Redis as RedisClient } from 'ioredis';
import type { AuthHandlers } from '../broker/auth-pipeline.js';
import { SHARED_PICKS } from '../broker/shared-subscriptions.js';
import type { SharedStrategy } from '../broker/shared-subscriptions-groups.js';
import { clusterKeyPrefix, redisClusterContext } from './cluster-context.js';
import { remoteSessionHandler, type TakeoverTarget } from './cluster-takeover.js';
import { EmitOrder } from './emit-order.js';
import { holdUntilConnack, releaseOnConnack } from './hold-until-connack.js';
import { deliverLocallyFirst, resubscribeOnReady } from './local-first-emitter.js';
import { refuseSessionsWhileDown, SessionRouter, type SessionStore } from './session-router.js';
import { SharedGroupsLiveness } from './shared-groups-liveness.js';
import { RedisSharedGroups } from './redis-shared-groups.js';
import { RedisSessionRecords } from './redis-session-records.js';
import { ExpiryScripts, expiryKeys, SessionExpiryRecorder } from './session-expiry-records.js';
import { OrphanSessionExpiry } from './orphan-session-expiry.js';

const require = createRequire(import.meta.url);
// The libraries' own ioredis (the version they are tested with), not the app's.
const requireFromEmitter = createRequire(require.resolve('mqemitter-redis'));
const requireFromPersistence = createRequire(require.resolve('aedes-persistence-redis'));

type Listener = (packet: { topic: string; payload: Buffer }, done: () => void) => void;
type RedisCtor = new (url: string, options: Record<string, unknown>) => RedisClient;

interface Emitter {
  _emit(packet: Parameters<Emitter['emit']>[0], done?: (error?: Error | null) => void): void;
  emit(
    packet: { topic: string; clientId?: string; brokerId?: string; brokerCounter?: number; [SHARED_PICKS]?: Record<string, string> },
    done?: (error?: Error | null) => void,
  ): void;
  on(topic: string, listener: Listener, done?: () => void): unknown;
  close(cb: () => void): void;
  state: NodeJS.EventEmitter;
}

/** What createBroker needs to run on a shared Redis instead of in memory. */
export interface ClusterMessaging {
  /** aedes `mq` option. */
  readonly mq: unknown;
  /** aedes `persistence` option. */
  readonly persistence: unknown;
  /** Shared-subscription groups kept cluster-wide (one member of the cluster gets each message). */
  readonly sharedGroups: RedisSharedGroups;
  /** CONNACK Session Present record kept cluster-wide (a session made on one node resumed on another). */
  readonly sessionRecords: RedisSessionRecords;
  /** Called once aedes exists, before anything wraps its publish (emit order, session takeover). */
  attach(aedes: Aedes, target: TakeoverTarget & { countDropped?: () => void }): void;
  /** Wraps aedes' authenticate: refuses sessions that need Redis while it is down. */
  guardAuthenticate(authenticate: AuthHandlers['authenticate']): AuthHandlers['authenticate'];
  /** Called for each new connection, before its CONNECT is handled. */
  prepareClient(client: Client): void;
  /** After aedes closed (or failed to start): frees every Redis connection. Idempotent. */
  close(): Promise<void>;
}

export interface RedisMessagingOptions {
  url: string;
  /** Cluster name (`cluster.name`). */
  name: string;
  nodeName: string;
  sharedSubscriptionStrategy: SharedStrategy;
  /** Cluster heartbeat (`cluster.heartbeat`); default 1 s. A node is gone after 5 of them. */
  heartbeatMs?: number;
  log: Logger;
}

/** aedes' listener that closes a client when another node registers the same id. */
const NEW_CLIENTS = '$SYS/+/new/clients';
/** aedes' heartbeat (`$SYS/<node>/heartbeat`) and birth topics, and its default heartbeat interval. */
const HEARTBEATS = '$SYS/+/heartbeat';
const BIRTHS = '$SYS/+/birth';
const HEARTBEAT_MS = 60_000;
/** How long a close may wait for Redis to say goodbye before the sockets are dropped. */
const CLOSE_TIMEOUT_MS = 2000;
/** How long a starting node waits for its Redis connections. */
const READY_TIMEOUT_MS = 10_000;

function connectionOptions(what: string): Record<string, unknown> {
  return {
    connectTimeout: 5000,
    retryStrategy: (times: number) => Math.min(50 * times, 2000),
    connectionName: `modmq-${what}`,
    // While Redis is down commands fail at once instead of piling up until it is back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  };
}

/**
 * aedes-persistence-redis sends these without awaiting them; Redis dropping mid-command would make
 * that an unhandled rejection, which ends the process. Callers that await still see the error.
 */
function markHandled(conn: RedisClient, commands: string[]): void {
  const c = conn as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of commands) {
    const original = c[name]!.bind(conn);
    c[name] = (...args: unknown[]) => {
      const sent = original(...args);
      sent.catch(() => undefined);
      return sent;
    };
  }
}

/** Resolves once CONN can take commands (it has no offline queue); fails after READY_TIMEOUT_MS. */
function untilReady(conn: RedisClient, what: string): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cluster Redis: the ${what} connection is not ready`)), READY_TIMEOUT_MS);
    conn.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** QUIT fails at once while Redis is down (no offline queue): then just drop the socket. */
function quitOrDrop(conn: RedisClient): void {
  const quit = conn.quit.bind(conn);
  (conn as { quit: () => Promise<'OK'> }).quit = () =>
    conn.status === 'ready'
      ? quit().catch(() => {
          conn.disconnect();
          return 'OK' as const;
        })
      : (conn.disconnect(), Promise.resolve('OK' as const));
}

/** `modmq:{<name>}/`: the channel prefix. */
export function channelPrefix(name: string): string {
  return `modmq:{${name}}/`;
}

/** Redis glob metacharacters that cannot come from MQTT wildcards (`+`/`#` became `*`). */
function escapeGlob(pattern: string): string {
  return pattern.replace(/[[\]\\]/g, '\\$&');
}

/**
 * Prefixes every channel of a pub/sub connection. Messages carry the MQTT topic inside their body,
 * so nothing has to be stripped on the way back.
 */
function prefixChannels(conn: RedisClient, prefix: string): void {
  const c = conn as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['publish', 'subscribe', 'unsubscribe'] as const) {
    const original = c[name]!.bind(conn);
    c[name] = (channel: unknown, ...rest: unknown[]) => original(prefix + String(channel), ...rest);
  }
  for (const name of ['psubscribe', 'punsubscribe'] as const) {
    const original = c[name]!.bind(conn);
    c[name] = (pattern: unknown, ...rest: unknown[]) => original(escapeGlob(prefix + String(pattern)), ...rest);
  }
}

/** ioredis would print unhandled errors to stderr; log once per outage instead. */
function watchErrors(conn: RedisClient, log: Logger, what: string): void {
  let failing = false;
  conn.on('error', (error: Error) => {
    if (!failing) log.warn({ err: error, conn: what }, 'cluster Redis connection failed; retrying');
    failing = true;
  });
  conn.on('ready', () => {
    if (failing) log.info({ conn: what }, 'cluster Redis connection back');
    failing = false;
  });
}

export async function createRedisMessaging(options: RedisMessagingOptions): Promise<ClusterMessaging> {
  const { url, name, log } = options;
  const cluster = redisClusterContext(url, name);
  const sharedGroups = new RedisSharedGroups({
    cluster,
    nodeName: options.nodeName,
    strategy: options.sharedSubscriptionStrategy,
    log,
  });
  try {
    await sharedGroups.start();
  } catch (error) {
    await sharedGroups.close();
    throw error;
  }

  const EmitterRedis = requireFromEmitter('ioredis') as { default?: RedisCtor } & RedisCtor;
  const PersistenceRedis = requireFromPersistence('ioredis') as { default?: RedisCtor } & RedisCtor;
  const EmitterConn: RedisCtor = EmitterRedis.default ?? EmitterRedis;
  const PersistenceConn: RedisCtor = PersistenceRedis.default ?? PersistenceRedis;

  const prefix = channelPrefix(name);
  // No auto-pipelining on the subscriber: ioredis' list of commands it must not delay names
  // `unpsubscribe` instead of `punsubscribe`, so a PUNSUBSCRIBE waited for the next tick and went out
  // after the PSUBSCRIBE that followed it (a wildcard re-subscribe then dropped the pattern).
  const subConn = new EmitterConn(url, { ...connectionOptions('sub'), autoResubscribe: false });
  const pubConn = new EmitterConn(url, { ...connectionOptions('pub'), enableAutoPipelining: true });
  prefixChannels(subConn, prefix);
  prefixChannels(pubConn, prefix);
  resubscribeOnReady(subConn, log);
  quitOrDrop(subConn);
  quitOrDrop(pubConn);
  watchErrors(subConn, log, 'sub');
  watchErrors(pubConn, log, 'pub');

  const createEmitter = require('mqemitter-redis') as (opts: Record<string, unknown>) => Emitter;
  const mq = createEmitter({ subConn, pubConn });
  // mqemitter-redis re-emits connection errors here; an EventEmitter 'error' without a listener throws.
  mq.state.on('error', () => undefined);

  let takeover: Listener | undefined;
  const on = mq.on.bind(mq);
  // aedes closes a local client when another node announces the same id; ours also says why (0x8E)
  // and keeps the session the other node now owns (see cluster-takeover.ts).
  mq.on = (topic, listener, done) =>
    on(topic, topic === NEW_CLIENTS ? (packet, cb) => (takeover === undefined ? cb() : takeover(packet, cb)) : listener, done);

  // Members of a node silent for 3 heartbeat intervals (aedes' own rule for wills) are forgotten.
  const liveness = new SharedGroupsLiveness(options.nodeName, sharedGroups, 3 * HEARTBEAT_MS);
  for (const topic of [HEARTBEATS, BIRTHS]) {
    mq.on(topic, (packet, cb) => {
      liveness.heard(packet.payload.toString());
      cb();
    });
  }
  const sweep = setInterval(() => {
    for (const node of liveness.sweep()) log.warn({ node }, 'node silent: its shared-subscription members are no longer picked');
  }, HEARTBEAT_MS);
  sweep.unref();

  let countDropped: (() => void) | undefined;
  const emit = deliverLocallyFirst(mq, pubConn, { log, onRemoteDrop: () => countDropped?.() });
  type Routed = Parameters<Emitter['emit']>[0];
  const order = new EmitOrder<Routed>((packet, done) => {
    // The publishing node picks the shared-subscription members; the picks travel with the message.
    // While Redis is down only this node's members can get it.
    const picks = sharedGroups.pickAll(packet.topic, packet.clientId, pubConn.status !== 'ready');
    if (picks !== undefined) packet[SHARED_PICKS] = picks;
    emit(packet, done);
  });
  mq.emit = (packet, done) => order.send(packet, done);

  const close = mq.close.bind(mq);
  mq.close = (cb) => {
    // QUIT waits for Redis; while it is down, drop the sockets instead of hanging a SIGTERM.
    const timer = setTimeout(() => {
      subConn.disconnect();
      pubConn.disconnect();
    }, CLOSE_TIMEOUT_MS);
    timer.unref();
    close(() => {
      clearTimeout(timer);
      cb();
    });
  };

  const db = new PersistenceConn(url, { ...connectionOptions('sessions'), keyPrefix: `${clusterKeyPrefix(name)}aedes:` });
  watchErrors(db, log, 'sessions');
  markHandled(db, ['lrem', 'rpush']);
  const AsyncRedisPersistence = require('aedes-persistence-redis/asyncPersistence.js') as new (opts: Record<string, unknown>) => SessionStore;
  const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as new () => SessionStore;
  const redisUp = (): boolean => db.status === 'ready';
  // After an outage, wait for a heartbeat round before sweeping the wills of silent nodes.
  let sessionsBackAt = Date.now();
  db.on('ready', () => {
    sessionsBackAt = Date.now();
  });
  const willSweepSafe = (): boolean => redisUp() && Date.now() - sessionsBackAt > 1.5 * HEARTBEAT_MS;
  const persistence = new SessionRouter(new AsyncRedisPersistence({ conn: db }), new MemoryPersistence(), redisUp, willSweepSafe);
  const sessionRecords = new RedisSessionRecords(cluster, log);
  // Sessions whose expiry timer died with their node (session-expiry-records.ts).
  const expiryConn = cluster.connect();
  expiryConn.on('error', (error: Error) => log.debug({ err: error }, 'session expiry: Redis error'));
  const expiryScripts = new ExpiryScripts(expiryConn, expiryKeys(cluster.keyPrefix));
  const run = randomUUID();
  const expiryRecorder = new SessionExpiryRecorder(expiryScripts, run, log);
  const orphanExpiry = new OrphanSessionExpiry({
    scripts: expiryScripts,
    run,
    nodeName: options.nodeName,
    heartbeatMs: options.heartbeatMs ?? 1000,
    // What aedes' own expiry removes (aedes.js _wipeSession) but the will: see orphan-session-expiry.ts.
    wipe: async (clientId) => {
      await persistence.cleanSubscriptions({ id: clientId });
      await sessionRecords.forget(clientId);
    },
    log,
  });
  try {
    await Promise.all([untilReady(subConn, 'sub'), untilReady(pubConn, 'pub'), untilReady(db, 'sessions'), untilReady(expiryConn, 'expiry')]);
    await orphanExpiry.start();
  } catch (error) {
    for (const conn of [subConn, pubConn, db, expiryConn]) conn.disconnect();
    await sessionRecords.close();
    await sharedGroups.close();
    throw error;
  }

  return {
    mq,
    persistence,
    sharedGroups,
    sessionRecords,
    attach(aedes, target) {
      order.track(aedes as unknown as Parameters<typeof order.track>[0]);
      countDropped = target.countDropped;
      takeover = remoteSessionHandler(aedes, target) as Listener;
      releaseOnConnack(aedes);
      expiryRecorder.attach(aedes);
      orphanExpiry.startRounds();
    },
    prepareClient: holdUntilConnack,
    guardAuthenticate: (authenticate) => refuseSessionsWhileDown(redisUp, authenticate),
    async close() {
      clearInterval(sweep);
      // aedes has closed: its clients' last disconnects are written, then this run leaves. Bounded:
      // an unreachable Redis must not hold up the stop (the run then expires with its alive key).
      let timer: NodeJS.Timeout | undefined;
      const leaving = (async () => {
        await expiryRecorder.flush();
        await orphanExpiry.stop();
      })();
      await Promise.race([leaving, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
      clearTimeout(timer);
      expiryConn.disconnect();
      // aedes closes `mq` itself; this covers a broker that never started.
      await new Promise<void>((resolve) => mq.close(resolve));
      try {
        await persistence.destroy();
      } catch (error) {
        log.debug({ err: error }, 'closing the session store');
      }
      db.disconnect();
      await sessionRecords.close();
      await sharedGroups.close();
    },
  };
}
