import type { Redis } from 'ioredis';
import type { ClusterContext } from './cluster-context.js';

export interface ChangeFeedOptions {
  cluster: ClusterContext;
  channel: string;
  /** One published notice (binary-safe). */
  onMessage(message: Buffer): void;
  /**
   * The subscription came back after a disconnect: notices may have been missed, so the module
   * reloads or drops what it derived from them (level-triggered resync).
   */
  onResync(): void;
  onError?(error: Error): void;
}

/**
 * A module's pub/sub listener on its own Redis connection. `live` says whether notices are being
 * received now; while it is false a module must not trust state kept from notices (caches).
 */
export class ChangeFeed {
  private readonly sub: Redis;
  private subscribedOnce = false;
  private closed = false;
  live = false;

  constructor(private readonly options: ChangeFeedOptions) {
    this.sub = options.cluster.connect();
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      if (channel.toString() === options.channel) options.onMessage(message);
    });
    this.sub.on('close', () => {
      this.live = false;
    });
    this.sub.on('error', (error: Error) => options.onError?.(error));
    // ioredis reports ready on reconnect, then re-sends SUBSCRIBE. Our own SUBSCRIBE (harmless
    // twice) resolves once the channel is subscribed again: only then is a resync complete.
    this.sub.on('ready', () => {
      if (!this.subscribedOnce || this.closed) return;
      this.sub.subscribe(this.options.channel).then(
        () => {
          if (this.closed) return;
          this.live = true;
          options.onResync();
        },
        (error: Error) => options.onError?.(error),
      );
    });
  }

  /** Subscribes; resolves once notices flow. */
  async start(): Promise<void> {
    await this.sub.subscribe(this.options.channel);
    this.subscribedOnce = true;
    this.live = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    try {
      await this.sub.quit();
    } catch {
      this.sub.disconnect();
    }
  }
}
