/**
 * Packets, encoded once with mqtt-packet. The publish template is copied into a batch buffer per
 * write and patched in place (timestamp, message id), so the hot loop allocates per batch, not per
 * message.
 */
import mqtt from 'mqtt-packet';

export function connectPacket(clientId: string, keepalive = 60): Buffer {
  return mqtt.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive });
}

export function subscribePacket(topic: string, qos: 0 | 1, messageId = 1): Buffer {
  return mqtt.generate({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
}

export const DISCONNECT = mqtt.generate({ cmd: 'disconnect' });

export interface PublishTemplate {
  bytes: Buffer;
  /** Offset of the 2-byte message id (QoS 1), or -1. */
  messageIdOffset: number;
  /** Offset of the payload; see the PAYLOAD_* offsets for what it carries. */
  payloadOffset: number;
}

/** Payload layout: send time (performance.now(), float64 LE), sequence (u32 LE), publisher (u16 LE). */
export const PAYLOAD_TIME = 0;
export const PAYLOAD_SEQ = 8;
export const PAYLOAD_PUBLISHER = 12;
export const PAYLOAD_HEADER_BYTES = 14;

export function publishTemplate(topic: string, qos: 0 | 1, payloadBytes: number, publisher: number): PublishTemplate {
  if (payloadBytes < PAYLOAD_HEADER_BYTES) throw new Error(`payload must hold the ${PAYLOAD_HEADER_BYTES}-byte header`);
  const payload = Buffer.alloc(payloadBytes, 0x61);
  payload.writeUInt16LE(publisher, PAYLOAD_PUBLISHER);
  const bytes = mqtt.generate({
    cmd: 'publish',
    topic,
    payload,
    qos,
    retain: false,
    dup: false,
    ...(qos > 0 ? { messageId: 1 } : {}),
  });
  const payloadOffset = bytes.length - payloadBytes;
  const messageIdOffset = qos > 0 ? payloadOffset - 2 : -1;
  return { bytes, messageIdOffset, payloadOffset };
}

/** PUBACK is 4 bytes: 0x40, 0x02, id high, id low. */
export function writePuback(target: Buffer, offset: number, messageId: number): void {
  target[offset] = 0x40;
  target[offset + 1] = 0x02;
  target.writeUInt16BE(messageId, offset + 2);
}
