import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { NodeConfig } from '../node/node-config.js';
import type { ClusterSettings } from '../store/cluster-document.js';
import type { AclCachePolicy } from './acl-cache.js';
import { createAclHandlers } from './acl-pipeline.js';
import { createAuthHandlers } from './auth-pipeline.js';
import type { BrokerApi } from './broker-api.js';
import { BrokerMetrics } from './broker-metrics.js';
import { attachMeta, stateOf } from './client-state.js';
import { parseDurationMs } from './duration.js';
import { BrokerHookRegistry } from './hook-registry.js';
import type { HookRegistry } from './hooks.js';
import { createInternalApi } from './internal-api.js';
import type { BoundListener, ConnMeta, RunningListener } from './listeners/listener-types.js';
import { startTcpListener } from './listeners/tcp.js';
import { pskFromHooks, startTlsListener } from './listeners/tls.js';
import { startWsListener } from './listeners/ws.js';
import { tapPackets } from './packet-tap.js';
import { attachEnhancedAuth } from './enhanced-auth.js';
import { unmountOutgoing } from './mountpoint.js';
import { interceptPublish } from './publish-intercept.js';
import { attachOverlappingSubscriptions, mergeOverlappingDeliveries } from './overlapping-subscriptions.js';
import { attachOfflineQueue } from './offline-queue.js';
import { paceOfflineReplay } from './offline-replay.js';
import { attachSessionPresent, MemorySessionRecords, type SessionRecords } from './session-present.js';
import { bridgeRetained } from './retained-bridge.js';
import type { PipelineContext } from './pipeline-context.js';
import { LiveSockets } from './socket-tracker.js';
import { attachWillMessages } from './will-messages.js';
import { coalesceWrites } from './write-coalescing.js';
import { attachSharedSubscriptions, type SharedSubscriptions } from './shared-subscriptions.js';
import type { SharedGroups, SharedStrategy } from './shared-subscriptions-groups.js';
import { attachMqtt5, wireMqtt5 } from './mqtt5-session.js';
import { aedesLimitOptions, checkLimits, DEFAULT_MQTT5_LIMITS, type Mqtt5Limits } from './mqtt5-limits.js';
import type { ClusterMessaging } from '../cluster/redis-messaging.js';

export type { BoundListener } from './listeners/listener-types.js';

export interface BrokerOptions {
  nodeName: string;
  log: Logger;
  metrics: Registry;
  settings: ClusterSettings;
  /** Node config `mqtt.shared_subscription_strategy`; default round_robin. */
  sharedSubscriptionStrategy?: SharedStrategy;
  /** Shared-subscription groups backend (cluster); default in-memory. */
  sharedGroups?: SharedGroups;
  /** Node config `mqtt.*` MQTT 5 limits; default DEFAULT_MQTT5_LIMITS. */
  mqtt5?: Mqtt5Limits;
  /** Cluster routing and sessions (Redis); default in-memory, this node alone. */
  messaging?: ClusterMessaging;
  /** Which sessions outlive their connection (CONNACK Session Present); default this node's memory. */
  sessionRecords?: SessionRecords;
}

export interface Broker {
  readonly api: BrokerApi;
  readonly hooks: HookRegistry;
  /** Shared subscriptions ($share/$queue) of this node. */
  readonly shared: SharedSubscriptions;
  /** Cluster policy, applied live (flushes ACL caches). */
  setSettings(settings: ClusterSettings): void;
  /** Starts the enabled listeners; port 0 = a free port. Resolves with the bound ports. */
  listen(listeners: NodeConfig['listeners']): Promise<BoundListener[]>;
  /** Closes listeners and clients, frees every handle. */
  close(): Promise<void>;
}

const DEFAULT_ACL_TTL_MS = 60_000;

function cachePolicy(settings: ClusterSettings, generation: number, log: Logger): AclCachePolicy {
  const cache = settings.acl_cache;
  let ttlMs = DEFAULT_ACL_TTL_MS;
  try {
    ttlMs = parseDurationMs(cache.ttl);
  } catch (error) {
    // The schema validates settings before they get here; never let a bad value stop the broker.
    log.error({ err: error }, 'invalid acl_cache.ttl; using 1m');
  }
  return { enable: cache.enable && cache.max_size > 0, maxSize: cache.max_size, ttlMs, generation };
}

export async function createBroker(options: BrokerOptions): Promise<Broker> {
  const log = options.log;
  const hooks = new BrokerHookRegistry();
  const sockets = new LiveSockets();
  const clients: PipelineContext['clients'] = new Map();
  let aedes: Aedes | undefined;

  const metrics = new BrokerMetrics(options.metrics, {
    connections: () => clients.size,
    subscriptions: () => {
      let n = 0;
      for (const state of clients.values()) n += Object.keys((state.client as unknown as { subscriptions: object }).subscriptions).length;
      return n;
    },
    bytesRead: () => sockets.bytesRead(),
    bytesWritten: () => sockets.bytesWritten(),
  });

  const ctx: PipelineContext = {
    hooks,
    log,
    metrics,
    clients,
    settings: options.settings,
    cachePolicy: cachePolicy(options.settings, 1, log),
  };
  const flushAclCaches = (): void => {
    ctx.cachePolicy = { ...ctx.cachePolicy, generation: ctx.cachePolicy.generation + 1 };
  };
  hooks.onChange = (kind) => {
    if (kind === 'authorize') flushAclCaches();
  };

  const auth = createAuthHandlers(ctx);
  const acl = createAclHandlers(ctx);
  const sent = metrics.sent;
  const limits = options.mqtt5 ?? DEFAULT_MQTT5_LIMITS;
  checkLimits(limits);
  const messaging = options.messaging;
  aedes = await Aedes.createBroker({
    id: options.nodeName,
    ...aedesLimitOptions(limits),
    ...(messaging !== undefined ? { mq: messaging.mq as never, persistence: messaging.persistence as never } : {}),
    preConnect: auth.preConnect,
    authenticate: messaging?.guardAuthenticate(auth.authenticate) ?? auth.authenticate,
    authorizePublish: acl.authorizePublish,
    authorizeSubscribe: acl.authorizeSubscribe,
    // Called once per delivery about to be written: the cheapest place to count sent messages.
    authorizeForward: (client: Client, packet: AedesPublishPacket) => {
      sent.add(packet.qos);
      const state = stateOf(client);
      if (state !== undefined) {
        state.sent++;
        const mountpoint = state.info.mountpoint;
        // A mounted client sees its topics without the mountpoint (mountpoint.ts).
        if (mountpoint !== undefined) unmountOutgoing(mountpoint, client as unknown as Parameters<typeof unmountOutgoing>[1], packet);
      }
      return packet;
    },
  });
  const broker = aedes;
  // MQTT 5 limits, aliases and DISCONNECT reasons (mqtt5-session.ts); after other authorizeForward wrappers.
  wireMqtt5(broker, metrics);
  wireLifecycle(broker, ctx);
  // While a shared record store (Redis) is down, every connect and disconnect fails to use it: one
  // warning per 10 s, not one error per client.
  let recordFailureWarnedAt = -Infinity;
  attachSessionPresent(broker, options.sessionRecords ?? new MemorySessionRecords(), auth.preConnect, (err) => {
    const now = Date.now();
    if (now - recordFailureWarnedAt < 10_000) return log.debug({ err }, 'session record failed');
    recordFailureWarnedAt = now;
    log.warn({ err }, 'session record failed; Session Present falls back to aedes (repeats within 10 s are logged at debug)');
  });
  messaging?.attach(broker, { log, countDropped: () => metrics.dropped.inc() });
  // messagePublish hooks, then retained messages through the RetainedStore hook.
  interceptPublish(broker, ctx);
  bridgeRetained(broker, ctx);
  attachWillMessages(broker, ctx);
  const shared = attachSharedSubscriptions(broker, ctx, {
    strategy: options.sharedSubscriptionStrategy ?? 'round_robin',
    ...(options.sharedGroups !== undefined ? { groups: options.sharedGroups } : {}),
  });
  // After the shared subscriptions: it must see every subscription function aedes registers.
  attachOverlappingSubscriptions(broker);
  attachOfflineQueue(broker, { sharedPersistence: messaging !== undefined });
  // Last: its authorizeForward must be the outermost one.
  paceOfflineReplay(broker);

  const handle = (conn: Duplex, meta: ConnMeta, req?: IncomingMessage): void => {
    attachMeta(conn, meta);
    // One writev (TCP, TLS) or one WebSocket frame per event-loop turn instead of several per packet.
    coalesceWrites(conn);
    try {
      const client = broker.handle(conn, req);
      // Deliver wrappers, innermost first: MQTT 5 flow control holds the real writes; in a cluster
      // nothing goes out before CONNACK; the tap counts QoS 1/2 deliveries; the shared tracker sees
      // every copy handed to a member (held ones too, so a leaving member's window is
      // re-dispatched); the overlap merge is outermost.
      const mqtt5 = attachMqtt5(client, ctx, metrics, limits);
      messaging?.prepareClient(client);
      tapPackets(client, ctx, metrics, log, { mqtt5, onAck: (clientId, messageId) => shared.inflight.acknowledged(clientId, messageId) });
      shared.inflight.track(client);
      mergeOverlappingDeliveries(client);
      attachEnhancedAuth(client, ctx);
    } catch (error) {
      log.error({ err: error, listener: meta.listener }, 'could not accept connection');
      conn.destroy();
    }
  };

  const running: RunningListener[] = [];
  let closed = false;

  return {
    api: createInternalApi(options.nodeName, broker, ctx, flushAclCaches),
    hooks,
    shared,

    setSettings(settings) {
      ctx.settings = settings;
      ctx.cachePolicy = cachePolicy(settings, ctx.cachePolicy.generation + 1, log);
    },

    async listen(config) {
      const started: RunningListener[] = [];
      try {
        if (config.tcp.enable) started.push(await startTcpListener('tcp', config.tcp, handle, sockets, log));
        if (config.tls.enable) started.push(await startTlsListener('tls', config.tls, handle, sockets, log, pskFromHooks(hooks.chains, 'tls')));
        if (config.ws.enable) started.push(await startWsListener('ws', config.ws, false, handle, sockets, log));
        if (config.wss.enable) started.push(await startWsListener('wss', config.wss, true, handle, sockets, log));
      } catch (error) {
        await Promise.all(started.map((l) => l.close()));
        throw error;
      }
      running.push(...started);
      return started.map((l) => l.bound);
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const state of clients.values()) state.reason ??= 'kicked';
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await messaging?.close();
      await Promise.all(running.splice(0).map((l) => l.close()));
      sockets.destroyAll();
    },
  };
}

/** Client lifecycle events -> our client map, hooks and logs. */
function wireLifecycle(aedes: Aedes, ctx: PipelineContext): void {
  const { log, hooks } = ctx;
  aedes.on('clientReady', (client) => {
    const state = stateOf(client);
    // aedes says ready after replaying the offline queue, which can end after the socket closed
    // (and clientDisconnect ran): such a client must not be listed, or it stays forever.
    if (state === undefined || client.closed) return;
    state.info.connectedAt = Date.now();
    ctx.clients.set(state.info.clientId, state);
    ctx.metrics.connectionsTotal.inc();
    if (ctx.clients.size > ctx.metrics.peakConnections) ctx.metrics.peakConnections = ctx.clients.size;
    for (const hook of hooks.chains.clientConnected) {
      try {
        hook(state.info);
      } catch (error) {
        log.error({ err: error, clientId: state.info.clientId }, 'clientConnected hook threw');
      }
    }
  });
  aedes.on('clientDisconnect', (client) => {
    const state = stateOf(client);
    if (state === undefined) return;
    if (ctx.clients.get(state.info.clientId) === state) ctx.clients.delete(state.info.clientId);
    const reason = state.reason ?? 'tcp_closed';
    for (const hook of hooks.chains.clientDisconnected) {
      try {
        hook(state.info, reason);
      } catch (error) {
        log.error({ err: error, clientId: state.info.clientId }, 'clientDisconnected hook threw');
      }
    }
  });
  aedes.on('keepaliveTimeout', (client) => {
    const state = stateOf(client);
    if (state !== undefined) state.reason ??= 'keepalive_timeout';
  });
  aedes.on('clientError', (client, error) => log.debug({ err: error, clientId: client.id }, 'client error'));
  aedes.on('connectionError', (_client, error) => log.debug({ err: error }, 'connection error'));
  (aedes as unknown as NodeJS.EventEmitter).on('error', (error: unknown) => log.error({ err: error }, 'broker error'));
}
