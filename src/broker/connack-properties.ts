/**
 * What a v5 CONNACK tells the client about this broker (MQTT 5 §3.2.2.3). aedes writes its own
 * CONNACK with Receive Maximum, Maximum Packet Size and Topic Alias Maximum from our limits, but it
 * also says "shared subscriptions unavailable" (it has none; we serve $share, see
 * shared-subscriptions.ts). So the CONNACK of each v5 connection is extended in flight
 * (enhanced-auth-connack.ts) with the capabilities we really have, and the Server Keep Alive when
 * the node imposes one. MQTT 3 CONNACKs have no properties and pass untouched.
 */
import type { Client } from 'aedes';
import type { Duplex } from 'node:stream';
import { extendNextConnack } from './enhanced-auth-connack.js';
import type { Mqtt5Limits } from './mqtt5-limits.js';
import type { PipelineContext } from './pipeline-context.js';

interface ConnectPacket {
  protocolVersion?: number;
  keepalive?: number;
}

/** The capability properties, decided when the client connects. */
export function advertisedProperties(ctx: PipelineContext, limits: Mqtt5Limits): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    sharedSubscriptionAvailable: true,
    wildcardSubscriptionAvailable: true,
    subscriptionIdentifiersAvailable: true,
    // Without a RetainedStore (the retainer module) the broker keeps no retained message.
    retainAvailable: ctx.hooks.chains.retainedStore.length > 0,
  };
  if (limits.serverKeepalive !== undefined) properties.serverKeepAlive = limits.serverKeepalive;
  return properties;
}

/**
 * Called with a CONNECT just before aedes handles it: a v5 client is held to the Server Keep
 * Alive (aedes arms its keep-alive timer from the CONNECT) and its CONNACK gets our properties.
 */
export function prepareConnack(client: Client, packet: ConnectPacket, ctx: PipelineContext, limits: Mqtt5Limits): void {
  if (packet.protocolVersion !== 5) return;
  if (limits.serverKeepalive !== undefined) packet.keepalive = limits.serverKeepalive;
  extendNextConnack(client.conn as unknown as Duplex, advertisedProperties(ctx, limits));
}
