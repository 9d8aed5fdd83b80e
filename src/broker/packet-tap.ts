import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerMetrics } from './broker-metrics.js';
import { stateOf } from './client-state.js';
import type { PipelineContext } from './pipeline-context.js';
import { mountFilter } from './mountpoint.js';
import { rewriteTopic } from './rewrite.js';
import { isSharedKey, parseSharedFilter, toSharedKey } from './shared-subscriptions-topic.js';
import type { Mqtt5Session } from './mqtt5-session.js';

type Packet = { cmd: string; qos?: number; messageId?: number; reasonCode?: number; topic?: string; properties?: object; unsubscriptions?: string[]; subscriptions?: { topic: string }[] };
type Listener = (this: unknown, packet: Packet) => void;
type Parser = { listeners(event: 'packet'): Listener[]; removeListener(event: 'packet', l: Listener): void; on(event: 'packet', l: Listener): void };

/** Per-client extras of the tap: MQTT 5 features and the shared-subscription ack tracker. */
export interface TapOptions {
  mqtt5?: Mqtt5Session;
  /** A member acknowledged a delivery (PUBACK, or PUBREC for QoS 2: from then on the client owns it). */
  onAck?: (clientId: string, messageId: number | undefined) => void;
}

/**
 * Sits between a client's MQTT parser and aedes: counts received PUBLISH packets, notes a client
 * DISCONNECT (reason 'normal') and applies the subscribe rewrite to UNSUBSCRIBE topics, which aedes
 * offers no hook for (without it a rewritten subscription could never be removed). It replaces
 * aedes' single listener with a wrapper instead of adding one, so emit stays on its fast path.
 */
export function tapPackets(client: Client, ctx: PipelineContext, metrics: BrokerMetrics, log: Logger, options: TapOptions = {}): void {
  const { mqtt5, onAck } = options;
  const parser = (client as unknown as { _parser?: Parser })._parser;
  const listeners = parser?.listeners('packet');
  if (parser === undefined || listeners === undefined || listeners.length !== 1) {
    log.warn('aedes parser layout changed: UNSUBSCRIBE rewrite and receive metrics are off for this client');
    return;
  }
  const enqueue = listeners[0]!;
  parser.removeListener('packet', enqueue);
  const received = metrics.received;
  countQosDeliveries(client);
  parser.on('packet', function tap(this: unknown, packet: Packet) {
    switch (packet.cmd) {
      case 'publish': {
        received.add(packet.qos ?? 0);
        const state = stateOf(client);
        if (state !== undefined) state.received++;
        // Over the server's Receive Maximum, unknown alias: the client is being disconnected (mqtt5-session.ts).
        if (mqtt5 !== undefined && !mqtt5.publish(packet)) return;
        break;
      }
      case 'puback':
      case 'pubcomp': {
        const state = stateOf(client);
        if (state !== undefined) state.acked++;
        if (packet.cmd === 'puback') onAck?.(client.id, packet.messageId);
        mqtt5?.flow.acknowledged();
        break;
      }
      case 'pubrec':
        onAck?.(client.id, packet.messageId);
        if ((packet.reasonCode ?? 0) >= 0x80) mqtt5?.flow.acknowledged();
        break;
      case 'pubrel':
        mqtt5?.flow.released(packet.messageId);
        break;
      case 'connect':
        mqtt5?.connect(packet);
        break;
      case 'subscribe':
        renameShared(client, packet);
        break;
      case 'unsubscribe':
        rewriteUnsubscribe(ctx, client, packet);
        break;
      case 'disconnect': {
        const state = stateOf(client);
        if (state !== undefined) state.reason ??= 'normal';
        break;
      }
    }
    enqueue.call(this, packet);
  });
}

type Deliver = (packet: { qos?: number }, cb: () => void) => void;

/**
 * Counts QoS 1/2 deliveries per client (recon's inflight = these minus PUBACK/PUBCOMP). Wraps the
 * client's deliverQoS once, before any subscription captures it; nothing is allocated per message.
 */
function countQosDeliveries(client: Client): void {
  const c = client as unknown as { deliverQoS?: Deliver };
  const deliver = c.deliverQoS;
  if (typeof deliver !== 'function') return;
  c.deliverQoS = function countedDeliverQoS(this: unknown, packet, cb) {
    if ((packet.qos ?? 0) > 0) {
      const state = stateOf(client);
      if (state !== undefined) state.qosSent++;
    }
    deliver.call(this, packet, cb);
  };
}

/** `$share/g/f` and `$queue/f` go to aedes under their private key (shared-subscriptions-topic.ts). */
function renameShared(client: Client, packet: Packet): void {
  const subs = packet.subscriptions;
  if (subs === undefined) return;
  for (let i = 0; i < subs.length; i++) {
    const sub = subs[i]!;
    // A client-sent NUL filter could pose as a key: leave it to aedes' validation by making it empty.
    if (isSharedKey(sub.topic)) sub.topic = '';
    const shared = parseSharedFilter(sub.topic);
    if (shared !== undefined) sub.topic = toSharedKey(client.id, shared);
  }
}

function rewriteUnsubscribe(ctx: PipelineContext, client: Client, packet: Packet): void {
  const topics = packet.unsubscriptions;
  if (topics === undefined) return;
  const info = stateOf(client)?.info ?? null;
  const mountpoint = info?.mountpoint;
  const rewrite = ctx.hooks.chains.rewriteTopic.length > 0 || mountpoint !== undefined;
  // The same path as SUBSCRIBE: rewrite, then mount (mountpoint.ts); shared: the inner filter.
  for (let i = 0; i < topics.length; i++) {
    const topic = topics[i]!;
    const shared = parseSharedFilter(topic);
    if (shared !== undefined) {
      const inner = rewrite ? mountFilter(mountpoint, rewriteTopic(ctx, info, 'subscribe', shared.filter)) : shared.filter;
      topics[i] = toSharedKey(client.id, { group: shared.group, filter: inner });
    } else if (rewrite) {
      topics[i] = mountFilter(mountpoint, rewriteTopic(ctx, info, 'subscribe', topic));
    }
  }
}
