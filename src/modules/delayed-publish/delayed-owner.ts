/**
 * Cluster mode: exactly one node releases delayed messages at a time. Each node tries to hold a
 * lease key (`SET NX PX`) every `renewMs`; the holder renews it and runs the scheduler, claiming due
 * messages with its token (the claim script checks the lease, so a node that lost it claims
 * nothing). When the holder dies, its lease runs out and another node (or the restarted one)
 * takes over (a restarted holder at once): it first puts back what the dead holder had claimed
 * but not acknowledged.
 * New messages are announced on a channel so the holder re-arms its timer; each renewal also
 * re-reads the next due time, in case an announcement was missed.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ChangeFeed } from '../../cluster/change-feed.js';
import type { ClusterContext } from '../../cluster/cluster-context.js';
import { RedisLease } from '../../cluster/redis-lease.js';
import type { DelayedQueue } from './delayed-queue.js';
import type { DelayedMessage } from './delayed-store.js';
import type { RedisDelayedStore } from './redis-delayed-store.js';
import { DelayedScheduler } from './scheduler.js';

export const DEFAULT_LEASE_MS = 6_000;

export interface DelayedOwnerOptions {
  store: RedisDelayedStore;
  cluster: ClusterContext;
  publish(message: DelayedMessage): Promise<void>;
  onPublished?: (message: DelayedMessage, error: unknown) => void;
  log: Logger;
  /** This node's name (unique in the cluster): the lease names its holder with it. */
  nodeName: string;
  /** Lease time to live; renewed every third of it. */
  leaseMs?: number;
}

export class DelayedOwner {
  /** `<node name>#<uuid>`: unique per run (a restarted node is a new holder), readable by operators. */
  readonly token: string;
  private readonly ownPrefix: string;
  private readonly leaseMs: number;
  private readonly feed: ChangeFeed;
  private scheduler: DelayedScheduler | undefined;
  private readonly lease: RedisLease;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: DelayedOwnerOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.ownPrefix = `${options.nodeName}#`;
    this.token = `${this.ownPrefix}${randomUUID()}`;
    this.lease = new RedisLease(options.store.redis, options.store.keys.lease, this.token, this.ownPrefix);
    this.feed = new ChangeFeed({
      cluster: options.cluster,
      channel: options.store.keys.added,
      onMessage: (at) => this.scheduler?.added(Number(at.toString())),
      onResync: () => this.scheduler?.removed(),
      onError: (error) => options.log.warn({ err: error }, 'delayed publish: change feed error'),
    });
  }

  /** Whether this node releases delayed messages now. */
  get owner(): boolean {
    return this.scheduler !== undefined;
  }

  async start(): Promise<void> {
    await this.feed.start();
    await this.tick();
    this.timer = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  /** A message was added on this node (others hear it on the channel). */
  added(publishAt: number): void {
    this.scheduler?.added(publishAt);
  }

  removed(): void {
    this.scheduler?.removed();
  }

  /** Stops releasing and hands the lease over at once (a stop is not a crash). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.ticking;
    await this.resign();
    try {
      await this.lease.release();
    } catch (error) {
      this.options.log.warn({ err: error }, 'delayed publish: could not release the lease (it expires by itself)');
    }
    await this.feed.close();
  }

  /** One lease round: acquire or renew, or notice it went to another node. */
  tick(): Promise<void> {
    if (this.ticking || this.stopped) return this.ticking ?? Promise.resolve();
    this.ticking = this.round()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'delayed publish: lease round failed'))
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  private async round(): Promise<void> {
    const { store, log } = this.options;
    await store.refreshCount();
    // Redis unreachable: this throws; our lease may run out meanwhile and the claim script refuses us.
    const state = await this.lease.acquire(this.leaseMs);
    if (this.stopped) return;
    if (state === 0) {
      if (this.scheduler) log.warn('delayed publish: the release lease went to another node');
      await this.resign();
      return;
    }
    if (state === 2 || !this.scheduler) {
      const requeued = await store.requeueAll();
      log.info({ requeued }, 'delayed publish: this node releases delayed messages now');
      if (this.stopped) return;
      this.scheduler = new DelayedScheduler({
        store: this.claimingQueue(),
        log,
        publish: this.options.publish,
        ...(this.options.onPublished ? { onPublished: this.options.onPublished } : {}),
      });
      this.scheduler.start();
      return;
    }
    this.scheduler.removed(); // level-triggered: re-read the next due time
  }

  private async resign(): Promise<void> {
    const scheduler = this.scheduler;
    this.scheduler = undefined;
    await scheduler?.stop();
  }

  /** The store as the scheduler sees it: due messages are claimed with this node's token. */
  private claimingQueue(): DelayedQueue {
    const store = this.options.store;
    return {
      count: () => store.count(),
      insert: (m, max) => store.insert(m, max),
      due: async (now, limit) => {
        const claimed = await store.claim(this.token, now, limit);
        if (claimed === undefined) {
          void this.tick(); // the lease is gone: find out and stop
          return [];
        }
        return claimed;
      },
      unclaim: (ids) => store.unclaim(ids),
      nextDueAt: () => store.nextDueAt(),
      get: (id) => store.get(id),
      delete: (id) => store.delete(id),
      deleteTopic: (topic) => store.deleteTopic(topic),
      list: (offset, limit, topic) => store.list(offset, limit, topic),
      close: () => undefined,
    };
  }
}
