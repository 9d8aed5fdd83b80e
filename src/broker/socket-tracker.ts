import type { Socket } from 'node:net';
import type { SocketTracker } from './listeners/listener-types.js';

/**
 * Every accepted socket: byte counters (read at scrape time, nothing per packet) and a way to
 * destroy all of them at shutdown, including ones that never sent CONNECT.
 */
export class LiveSockets implements SocketTracker {
  private readonly live = new Set<Socket>();
  private closedRead = 0;
  private closedWritten = 0;

  add(socket: Socket): void {
    this.live.add(socket);
    socket.once('close', () => {
      if (!this.live.delete(socket)) return;
      this.closedRead += socket.bytesRead;
      this.closedWritten += socket.bytesWritten;
    });
  }

  bytesRead(): number {
    let n = this.closedRead;
    for (const s of this.live) n += s.bytesRead;
    return n;
  }

  bytesWritten(): number {
    let n = this.closedWritten;
    for (const s of this.live) n += s.bytesWritten;
    return n;
  }

  destroyAll(): void {
    for (const s of this.live) s.destroy();
  }
}
