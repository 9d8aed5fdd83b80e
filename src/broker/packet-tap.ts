import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerMetrics } from './broker-metrics.js';
import { stateOf } from './client-state.js';
import type { PipelineContext } from './pipeline-context.js';
import { mountFilter } from './mountpoint.js';
import { rewriteTopic } from './rewrite.js';

type Packet = { cmd: string; qos?: number; unsubscriptions?: string[] };
type Listener = (this: unknown, packet: Packet) => void;
type Parser = { listeners(event: 'packet'): Listener[]; removeListener(event: 'packet', l: Listener): void; on(event: 'packet', l: Listener): void };

/**
 * Sits between a client's MQTT parser and aedes: counts received PUBLISH packets, notes a client
 * DISCONNECT (reason 'normal') and applies the subscribe rewrite to UNSUBSCRIBE topics, which aedes
 * offers no hook for (without it a rewritten subscription could never be removed). It replaces
 * aedes' single listener with a wrapper instead of adding one, so emit stays on its fast path.
 */
export function tapPackets(client: Client, ctx: PipelineContext, metrics: BrokerMetrics, log: Logger): void {
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
        received[packet.qos ?? 0]?.inc();
        const state = stateOf(client);
        if (state !== undefined) state.received++;
        break;
      }
      case 'puback':
      case 'pubcomp': {
        const state = stateOf(client);
        if (state !== undefined) state.acked++;
        break;
      }
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

function rewriteUnsubscribe(ctx: PipelineContext, client: Client, packet: Packet): void {
  const topics = packet.unsubscriptions;
  const info = stateOf(client)?.info ?? null;
  const mountpoint = info?.mountpoint;
  if (topics === undefined || (ctx.hooks.chains.rewriteTopic.length === 0 && mountpoint === undefined)) return;
  // The same path as SUBSCRIBE: rewrite, then mount (mountpoint.ts).
  for (let i = 0; i < topics.length; i++) {
    topics[i] = mountFilter(mountpoint, rewriteTopic(ctx, info, 'subscribe', topics[i]!));
  }
}
