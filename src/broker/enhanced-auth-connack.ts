import mqtt from 'mqtt-packet';
import type { Duplex } from 'node:stream';

type Write = Duplex['write'];
const CONNACK = 0x20;

/**
 * Adds properties (Authentication Method/Data) to the one CONNACK aedes is about to write on
 * `conn`. aedes builds that CONNACK itself and offers no way to add properties, so for this one
 * connection only we shadow `conn.write` until the CONNACK has gone by: its pieces (mqtt-packet
 * writes a packet in several chunks, synchronously) are collected, decoded, extended and written
 * as one buffer. Every other connection and every later write is untouched.
 * Properties are added to a success CONNACK only; a refusal passes unchanged.
 */
export function extendNextConnack(conn: Duplex, properties: Record<string, unknown>): void {
  rewriteNextConnack(conn, (bytes) => withProperties(bytes, properties));
}

/**
 * Replaces the bytes of the next CONNACK written on `conn` with `rewrite(bytes)` (the whole packet).
 * Several rewrites of the same CONNACK stack: the last one installed runs first.
 */
export function rewriteNextConnack(conn: Duplex, rewrite: (packetBytes: Buffer) => Buffer): void {
  const target = conn as Duplex & { write: Write };
  const original = target.write;
  let chunks: Buffer[] = [];
  let size = 0;
  const restore = (): void => {
    // Own property shadows the prototype's write: deleting it brings the original back.
    if (Object.prototype.hasOwnProperty.call(target, 'write')) delete (target as { write?: Write }).write;
    if (target.write !== original) target.write = original;
  };
  const shadow = function (this: Duplex, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (size === 0 && buf[0] !== CONNACK) {
      // Not what we wait for (should not happen before CONNACK): pass it on untouched.
      return original.apply(target, arguments as unknown as Parameters<Write>);
    }
    chunks.push(buf);
    size += buf.length;
    const all = chunks.length === 1 ? buf : Buffer.concat(chunks, size);
    const total = wireLength(all);
    if (total >= 0 && all.length >= total) {
      restore();
      chunks = [];
      const rewritten = rewrite(all.subarray(0, total));
      const rest = all.subarray(total);
      const result = (original as (chunk: Buffer) => boolean).call(target, rest.length > 0 ? Buffer.concat([rewritten, rest]) : rewritten);
      if (typeof cb === 'function') process.nextTick(cb as () => void);
      return result;
    }
    if (typeof cb === 'function') process.nextTick(cb as () => void);
    return true;
  };
  target.write = shadow as Write;
}

/** Bytes of the MQTT packet starting at buf[0] (fixed header + remaining length), -1 if unknown yet. */
export function wireLength(buf: Buffer): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 1; i < 5; i++) {
    if (i >= buf.length) return -1;
    const byte = buf[i]!;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return 1 + i + value;
    multiplier *= 128;
  }
  return -1;
}

function withProperties(packetBytes: Buffer, properties: Record<string, unknown>): Buffer {
  const parser = mqtt.parser({ protocolVersion: 5 });
  let decoded: mqtt.IConnackPacket | undefined;
  parser.on('packet', (p) => {
    decoded = p as mqtt.IConnackPacket;
  });
  parser.on('error', () => undefined);
  parser.parse(packetBytes);
  if (decoded === undefined || (decoded.reasonCode ?? 0) !== 0) return packetBytes;
  const packet: mqtt.IConnackPacket = {
    cmd: 'connack',
    sessionPresent: decoded.sessionPresent,
    reasonCode: 0,
    properties: { ...(decoded.properties ?? {}), ...properties },
  };
  return mqtt.generate(packet, { protocolVersion: 5 });
}
