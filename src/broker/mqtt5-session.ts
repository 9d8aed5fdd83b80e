import type { Aedes, Client } from 'aedes';
import type { BrokerMetrics } from './broker-metrics.js';
import { prepareConnack } from './connack-properties.js';
import { FlowControl } from './flow-control.js';
import type { Mqtt5Limits } from './mqtt5-limits.js';
import type { PipelineContext } from './pipeline-context.js';
import { limitOutgoingPacketSize } from './packet-size.js';
import { disconnectOnKeepaliveTimeout } from './server-disconnect.js';
import { aliasOutgoingTopics, startOutboundAliases, unknownInboundAlias } from './topic-alias.js';

/** What packet-tap.ts calls for the MQTT 5 features we add in front of aedes, per client. */
export interface Mqtt5Session {
  readonly flow: FlowControl;
  /** The CONNECT, just before aedes handles it. */
  connect(packet: object): void;
  /** An inbound PUBLISH; false when the client is being disconnected for it (it must not reach aedes). */
  publish(packet: { qos?: number; messageId?: number; topic?: string; properties?: object }): boolean;
}

export function attachMqtt5(client: Client, ctx: PipelineContext, metrics: BrokerMetrics, limits: Mqtt5Limits): Mqtt5Session {
  const flow = FlowControl.attach(client, limits.receiveMaximum, metrics);
  return {
    flow,
    publish: (packet) => flow.inboundPublish(packet) && !unknownInboundAlias(client, packet),
    connect: (packet) => {
      prepareConnack(client, packet, ctx, limits);
      startOutboundAliases(client, packet);
    },
  };
}

/**
 * Broker-wide part. The size check and topic aliases wrap aedes' `authorizeForward`: call this
 * after any other wrapper of it, so a message refused or changed later never takes an alias or
 * is sized before its final properties.
 */
export function wireMqtt5(aedes: Aedes, metrics: BrokerMetrics): void {
  limitOutgoingPacketSize(aedes, metrics);
  aliasOutgoingTopics(aedes);
  disconnectOnKeepaliveTimeout(aedes);
}
