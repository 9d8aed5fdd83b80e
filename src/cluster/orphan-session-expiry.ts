/**
 * Expires the sessions of nodes that are gone (session-expiry-records.ts has the keys).
 *
 * Every node refreshes its run's alive key each heartbeat (TTL: 5 heartbeats, like membership) and
 * tries to hold one lease (`SET NX PX`, as delayed-owner.ts). The holder looks for runs whose alive
 * key is gone (killed, crashed, or stopped: a clean stop deletes it once its last disconnects are
 * written), reads their entries once and expires each session at its time: a session that was
 * connected when its node died gets its full interval from when the holder noticed (its disconnect
 * time is unknown, at most 5 heartbeats earlier); a disconnected one keeps the time its node
 * stamped. The holder writes that time into the entry, so a new holder after it keeps it.
 *
 * Expiring checks the entry is still the adopted one (a reconnect anywhere rewrote or deleted it:
 * that node owns the session now) and then removes what aedes removes when it expires a session:
 * the subscriptions, hence the offline queue (aedes-persistence-redis deletes it with the last
 * subscription), plus the Session Present record. The will is left to aedes' will sweep, which
 * publishes the wills of a node silent for 3 of its heartbeats (deleting it here would lose it).
 * A run that comes back (its Redis connection was only cut) keeps its entries: the holder puts back
 * what it stamped and lets that node's own timers act.
 */
import type { Logger } from 'pino';
import { RedisLease } from './redis-lease.js';
import { parseEntry, type ExpiryScripts } from './session-expiry-records.js';

/** An orphaned entry this holder will expire. */
interface Adopted {
  run: string;
  /** The value in Redis now. */
  value: string;
  /** The value before this holder stamped it (connected when its node died), to put back. */
  original: string | undefined;
  at: number;
}

export interface OrphanSessionExpiryOptions {
  scripts: ExpiryScripts;
  /** This process: `${keyPrefix}expiry:alive:<run>`. */
  run: string;
  nodeName: string;
  heartbeatMs: number;
  /** Removes the session of a client id (subscriptions, offline queue, Session Present record). */
  wipe(clientId: string): Promise<void>;
  log: Logger;
}

export class OrphanSessionExpiry {
  private readonly token: string;
  private readonly lease: RedisLease;
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private stopped = false;
  private failing = false;
  private holder = false;
  /** Orphaned runs whose entries were read (this lease term). */
  private readonly scanned = new Set<string>();
  private readonly adopted = new Map<string, Adopted>();

  constructor(private readonly options: OrphanSessionExpiryOptions) {
    this.ttlMs = options.heartbeatMs * 5;
    this.token = `${options.nodeName}#${options.run}`;
    this.lease = new RedisLease(options.scripts.redis, options.scripts.keys.lease, this.token, `${options.nodeName}#`);
  }

  /** Announces this run: before aedes records anything under it. */
  async start(): Promise<void> {
    await this.announce();
  }

  /** Starts the rounds, once aedes' session store is set up (wiping goes through it). */
  startRounds(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.options.heartbeatMs);
    this.timer.unref();
  }

  private async announce(): Promise<void> {
    const { scripts, run, nodeName } = this.options;
    await scripts.redis.multi().set(scripts.keys.alive(run), nodeName, 'PX', this.ttlMs).hset(scripts.keys.runs, run, nodeName).exec();
  }

  /**
   * A stop is not a crash, but aedes' timers end with it: after the recorder's last writes, this
   * run's alive key goes, so the next holder expires its sessions in time. Hands the lease over.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.ticking;
    const { scripts, run } = this.options;
    try {
      await this.lease.release();
      await scripts.redis.del(scripts.keys.alive(run));
    } catch (error) {
      this.options.log.warn({ err: error }, 'session expiry: could not leave (this node is taken for gone after 5 heartbeats)');
    }
  }

  /** One round: refresh this run, hold the lease, expire what is due. */
  tick(): Promise<void> {
    if (this.ticking || this.stopped) return this.ticking ?? Promise.resolve();
    this.ticking = this.round()
      .then(() => {
        if (this.failing) this.options.log.info('session expiry: rounds work again');
        this.failing = false;
      })
      .catch((error: unknown) => {
        if (!this.failing) this.options.log.warn({ err: error }, 'session expiry: round failed (Redis down?); retrying');
        this.failing = true;
      })
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  private async round(): Promise<void> {
    const { scripts } = this.options;
    await this.announce();
    const state = await this.lease.acquire(this.ttlMs);
    if (this.stopped) return;
    if (state === 0) {
      // Another node holds it: it reads the entries again itself.
      this.holder = false;
      this.scanned.clear();
      this.adopted.clear();
      return;
    }
    if (!this.holder) this.options.log.info('session expiry: this node expires the sessions of departed nodes now');
    this.holder = true;
    const orphans = await this.orphanRuns();
    await this.adoptNew(orphans);
    await this.expireDue(orphans);
  }

  /** Runs (other than this one) whose alive key is gone; forgets those that came back. */
  private async orphanRuns(): Promise<Map<string, string>> {
    const { scripts, run: self } = this.options;
    const runs = Object.entries(await scripts.redis.hgetall(scripts.keys.runs)).filter(([run]) => run !== self);
    const orphans = new Map<string, string>();
    if (runs.length === 0) return orphans;
    const alive = await scripts.redis.mget(...runs.map(([run]) => scripts.keys.alive(run)));
    runs.forEach(([run, node], i) => {
      if (alive[i] === null) orphans.set(run, node);
    });
    for (const run of this.scanned) {
      if (!orphans.has(run)) await this.giveBack(run);
    }
    return orphans;
  }

  /** A run is alive again (it only lost Redis for a while): its own timers expire its sessions. */
  private async giveBack(run: string): Promise<void> {
    this.scanned.delete(run);
    for (const [clientId, entry] of this.adopted) {
      if (entry.run !== run) continue;
      this.adopted.delete(clientId);
      if (entry.original !== undefined) await this.options.scripts.swap(clientId, entry.value, entry.original);
    }
  }

  /** Reads the entries of newly orphaned runs once; drops runs with nothing left. */
  private async adoptNew(orphans: Map<string, string>): Promise<void> {
    const { scripts, log } = this.options;
    const fresh = [...orphans.keys()].filter((run) => !this.scanned.has(run));
    for (const run of this.scanned) {
      if ([...this.adopted.values()].some((e) => e.run === run)) continue;
      // Everything of that run expired or was taken over: nothing more can appear under it.
      await scripts.redis.hdel(scripts.keys.runs, run);
      this.scanned.delete(run);
    }
    if (fresh.length === 0) return;
    const wanted = new Set(fresh);
    const found = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, flat] = await scripts.redis.hscan(scripts.keys.sessions, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const entry = parseEntry(flat[i + 1]!);
        if (entry === undefined || !wanted.has(entry.run)) continue;
        await this.adopt(flat[i]!, flat[i + 1]!, orphans);
        found.set(entry.run, (found.get(entry.run) ?? 0) + 1);
      }
    } while (cursor !== '0' && !this.stopped);
    for (const run of fresh) {
      this.scanned.add(run);
      log.info({ node: orphans.get(run), run, sessions: found.get(run) ?? 0 }, 'session expiry: a node is gone; expiring its sessions');
    }
  }

  /** Takes an orphaned entry; one connected when its node died gets its interval from now. */
  private async adopt(clientId: string, value: string, orphans: Map<string, string>): Promise<void> {
    const entry = parseEntry(value);
    if (entry === undefined || !orphans.has(entry.run)) return;
    if (entry.at !== undefined) {
      this.adopted.set(clientId, { run: entry.run, value, original: undefined, at: entry.at });
      return;
    }
    const stamped = await this.options.scripts.stamp(clientId, value, entry.intervalMs);
    if (stamped === null) {
      // Changed meanwhile: a reconnect (owned elsewhere now) or that node's last disconnect write.
      const current = await this.options.scripts.redis.hget(this.options.scripts.keys.sessions, clientId);
      if (current !== null && current !== value) await this.adopt(clientId, current, orphans);
      return;
    }
    const at = parseEntry(stamped)?.at;
    if (at !== undefined) this.adopted.set(clientId, { run: entry.run, value: stamped, original: value, at });
  }

  private async expireDue(orphans: Map<string, string>): Promise<void> {
    if (this.adopted.size === 0) return;
    const { scripts, wipe, log } = this.options;
    const now = await scripts.now();
    let expired = 0;
    for (const [clientId, entry] of [...this.adopted]) {
      if (entry.at > now || this.stopped) continue;
      this.adopted.delete(clientId);
      const swapped = await scripts.swap(clientId, entry.value, '');
      if (!swapped.done) {
        // Still an orphan's (its node's last write landed after we read it): expire that one.
        if (swapped.current !== undefined) await this.adopt(clientId, swapped.current, orphans);
        continue;
      }
      try {
        await wipe(clientId);
        expired++;
      } catch (error) {
        log.warn({ err: error, clientId }, 'session expiry: could not remove an expired session');
      }
    }
    if (expired > 0) log.info({ expired }, 'session expiry: expired sessions of departed nodes');
  }
}
