/**
 * A streaming MQTT frame scanner for the hot loop. mqtt-packet's parser allocates an object and a
 * payload slice per packet; this one walks the fixed header and hands the callback the chunk plus
 * offsets, so reading a delivery costs no allocation. A frame split across chunks is carried over
 * (one copy per chunk boundary, never per message).
 */

/** Called for every complete frame: `header` is the first byte, the body is buf[start, end). */
export type FrameHandler = (header: number, buf: Buffer, start: number, end: number) => void;

export class FrameScanner {
  private carry: Buffer | null = null;

  constructor(private readonly onFrame: FrameHandler) {}

  /** Feeds one chunk; calls onFrame for every complete frame in order. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry !== null) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    const len = buf.length;
    let pos = 0;
    while (pos < len) {
      if (len - pos < 2) break;
      // Remaining length: 1 to 4 bytes, 7 bits each.
      let remaining = 0;
      let multiplier = 1;
      let i = pos + 1;
      let complete = false;
      for (let n = 0; n < 4 && i < len; n++, i++) {
        const byte = buf[i] as number;
        remaining += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete) {
        if (i - pos - 1 >= 4) throw new Error('malformed remaining length');
        break;
      }
      const end = i + remaining;
      if (end > len) break;
      this.onFrame(buf[pos] as number, buf, i, end);
      pos = end;
    }
    if (pos < len) this.carry = Buffer.from(buf.subarray(pos));
  }
}

export const PACKET_CONNACK = 2;
export const PACKET_PUBLISH = 3;
export const PACKET_PUBACK = 4;
export const PACKET_SUBACK = 9;

/** The packet type of a fixed-header byte. */
export function packetType(header: number): number {
  return header >> 4;
}
