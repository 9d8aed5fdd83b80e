/**
 * A raw MQTT client over any duplex (net or tls socket): writes packets with mqtt-packet and hands
 * back parsed packets in order. For tests that need exact control (AUTH exchanges, odd packets).
 */
import mqtt from 'mqtt-packet';
import net from 'node:net';
import type { Duplex } from 'node:stream';

export type RawPacket = mqtt.Packet & { reasonCode?: number; properties?: Record<string, unknown> };

export class RawMqttClient {
  private readonly queue: RawPacket[] = [];
  private readonly waiters: Array<{ resolve: (p: RawPacket | undefined) => void }> = [];
  private closed = false;

  constructor(
    readonly socket: Duplex,
    private readonly protocolVersion: 3 | 4 | 5 = 5,
  ) {
    const parser = mqtt.parser({ protocolVersion });
    parser.on('packet', (packet) => this.push(packet as RawPacket));
    parser.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w.resolve(undefined);
    });
  }

  static connectTcp(port: number, protocolVersion: 3 | 4 | 5 = 5): Promise<RawMqttClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawMqttClient(socket, protocolVersion)));
      socket.once('error', reject);
    });
  }

  send(packet: Record<string, unknown>): void {
    this.socket.write(mqtt.generate(packet as unknown as mqtt.Packet, { protocolVersion: this.protocolVersion }));
  }

  /** The next packet, or undefined once the connection closed. */
  next(): Promise<RawPacket | undefined> {
    const p = this.queue.shift();
    if (p !== undefined) return Promise.resolve(p);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push({ resolve }));
  }

  /** Resolves when the server closed the connection. */
  async closedByServer(): Promise<void> {
    while ((await this.next()) !== undefined);
  }

  close(): void {
    this.socket.destroy();
  }

  private push(packet: RawPacket): void {
    const w = this.waiters.shift();
    if (w !== undefined) w.resolve(packet);
    else this.queue.push(packet);
  }
}
