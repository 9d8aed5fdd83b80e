import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Where a connection came from; attached to the stream aedes gets. */
export interface ConnMeta {
  listener: string;
  sockPort: number;
  peerHost: string;
  peerPort: number;
}

export interface BoundListener {
  name: string;
  kind: 'tcp' | 'tls' | 'ws' | 'wss';
  host: string;
  port: number;
}

/** Hands a new MQTT byte stream to the broker. */
export type ConnectionHandler = (conn: Duplex, meta: ConnMeta, req?: IncomingMessage) => void;

/** Counts bytes of closed sockets and lets the broker see live ones (metrics, shutdown). */
export interface SocketTracker {
  add(socket: Socket): void;
}

export interface RunningListener {
  readonly bound: BoundListener;
  /** Stops accepting and destroys every socket it accepted. */
  close(): Promise<void>;
}

/** Peer address without the IPv4-mapped IPv6 prefix. */
export function peerHost(socket: Socket): string {
  const addr = socket.remoteAddress ?? '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

export function metaOf(listener: string, socket: Socket): ConnMeta {
  return {
    listener,
    sockPort: socket.localPort ?? 0,
    peerHost: peerHost(socket),
    peerPort: socket.remotePort ?? 0,
  };
}
