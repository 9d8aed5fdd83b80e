/**
 * MQTT 5 Maximum Packet Size towards the client (MQTT 5 §3.1.2.11.4): a PUBLISH larger than the
 * client's own Maximum Packet Size is not sent to it; other subscribers still get it. The other
 * direction (our limit on what clients send, DISCONNECT 0x95) is aedes' `maximumPacketSize`.
 *
 * aedes stores the client's value but never checks it, so `authorizeForward` (called once per
 * delivery, just before aedes writes it) is wrapped: an oversized message is refused there, which
 * aedes treats as "do not send" (and clears it from a persistent session's queue). The size is
 * computed from the packet without encoding it, and only for clients that set a limit.
 */
import type { Aedes, Client } from 'aedes';
import type { BrokerMetrics } from './broker-metrics.js';

interface OutgoingPublish {
  topic: string;
  payload?: Buffer | string;
  qos?: number;
  properties?: Record<string, unknown>;
}
type ForwardFn = (client: Client, packet: OutgoingPublish) => OutgoingPublish | null | undefined | false;
type SizedClient = Client & { maximumPacketSize?: number };

export function limitOutgoingPacketSize(aedes: Aedes, metrics: BrokerMetrics): void {
  const target = aedes as unknown as { authorizeForward: ForwardFn };
  const inner = target.authorizeForward;
  target.authorizeForward = function sizeCheckedForward(this: unknown, client, packet) {
    const result = inner.call(this, client, packet);
    const max = (client as SizedClient).maximumPacketSize;
    if (max === undefined || !result || client.version !== 5) return result;
    if (publishWireSize(result) <= max) return result;
    metrics.dropped.inc();
    return null;
  };
}

/** Bytes of a v5 PUBLISH on the wire: fixed header, topic, packet id, properties, payload. */
export function publishWireSize(packet: OutgoingPublish): number {
  const payload = packet.payload;
  const payloadBytes = payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const propertyBytes = packet.properties === undefined ? 0 : publishPropertiesSize(packet.properties);
  const remaining = 2 + Buffer.byteLength(packet.topic) + ((packet.qos ?? 0) > 0 ? 2 : 0) + varIntSize(propertyBytes) + propertyBytes + payloadBytes;
  return 1 + varIntSize(remaining) + remaining;
}

/** Encoded size of the PUBLISH properties mqtt-packet writes (MQTT 5 §3.3.2.3); unknown keys are not written. */
export function publishPropertiesSize(properties: Record<string, unknown>): number {
  let size = 0;
  for (const key in properties) {
    const value = properties[key];
    if (value === undefined || value === null) continue;
    switch (key) {
      case 'payloadFormatIndicator':
        size += 2;
        break;
      case 'messageExpiryInterval':
        size += 5;
        break;
      case 'topicAlias':
        size += 3;
        break;
      case 'responseTopic':
      case 'contentType':
        size += 3 + Buffer.byteLength(String(value));
        break;
      case 'correlationData':
        size += 3 + (Buffer.isBuffer(value) ? value.length : Buffer.byteLength(String(value)));
        break;
      case 'subscriptionIdentifier':
        for (const id of Array.isArray(value) ? value : [value]) size += 1 + varIntSize(Number(id));
        break;
      case 'userProperties':
        for (const name in value as Record<string, unknown>) {
          const v = (value as Record<string, unknown>)[name];
          for (const item of Array.isArray(v) ? v : [v]) size += 5 + Buffer.byteLength(name) + Buffer.byteLength(String(item));
        }
        break;
    }
  }
  return size;
}

function varIntSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}
