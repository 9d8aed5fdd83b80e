/**
 * One raw MQTT connection: a socket, a frame scanner, and the handshake (CONNECT/CONNACK,
 * SUBSCRIBE/SUBACK) done with promises before the hot loop starts. In the hot loop the owner sets
 * `onFrame` and writes pre-encoded buffers itself.
 */
import { connect, type Socket } from 'node:net';
import { FrameScanner, PACKET_CONNACK, PACKET_SUBACK, packetType, type FrameHandler } from './frame-scanner.js';
import { connectPacket, subscribePacket } from './packets.js';

export class RawClient {
  readonly socket: Socket;
  /** Hot-loop handler; replaced by the owner after the handshake. */
  onFrame: FrameHandler = () => {};
  /** Called after each received chunk's frames were handled (batch replies here). */
  onChunkEnd: () => void = () => {};
  private waiting: { type: number; resolve: (ok: boolean) => void } | null = null;
  private failure: Error | null = null;
  private readonly scanner = new FrameScanner((header, buf, start, end) => {
    const w = this.waiting;
    if (w !== null && packetType(header) === w.type) {
      this.waiting = null;
      // CONNACK: return code is the 2nd body byte; SUBACK: granted QoS (0x80 = failure) is the 3rd.
      const code = w.type === PACKET_CONNACK ? buf[start + 1] : buf[start + 2];
      w.resolve(end > start && code !== undefined && code !== 0x80 && (w.type !== PACKET_CONNACK || code === 0));
      return;
    }
    this.onFrame(header, buf, start, end);
  });

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.scanner.push(chunk);
        this.onChunkEnd();
      } catch (error) {
        // A malformed frame fails this run, never the whole load generator.
        socket.destroy(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Opens the TCP connection and completes CONNECT/CONNACK. */
  static async open(host: string, port: number, clientId: string): Promise<RawClient> {
    const socket = connect({ host, port });
    const client = new RawClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const ok = await client.request(connectPacket(clientId), PACKET_CONNACK);
    if (!ok) throw new Error(`CONNECT refused for ${clientId}`);
    return client;
  }

  async subscribe(topic: string, qos: 0 | 1): Promise<void> {
    const ok = await this.request(subscribePacket(topic, qos), PACKET_SUBACK);
    if (!ok) throw new Error(`SUBSCRIBE ${topic} refused`);
  }

  get closedWith(): Error | null {
    return this.failure;
  }

  /** Abortive close (RST): no TIME_WAIT left behind, so thousands of runs never exhaust ports. */
  destroy(): void {
    if (this.socket.destroyed) return;
    if (this.socket.readyState === 'open') this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  private request(packet: Buffer, type: number): Promise<boolean> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<boolean>((resolve, reject) => {
      this.waiting = { type, resolve };
      this.rejectWaiting = reject;
      this.socket.write(packet);
    });
  }

  private rejectWaiting: ((error: Error) => void) | null = null;

  private fail(error: Error): void {
    this.failure ??= error;
    if (this.waiting !== null) {
      this.waiting = null;
      this.rejectWaiting?.(error);
    }
  }
}
