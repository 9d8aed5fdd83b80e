/**
 * A lease in Redis that one process of the cluster holds at a time (delayed-publish's releaser,
 * the expiry of departed nodes' sessions). The holder's token starts with `<node name>#`, so a
 * restarted node takes back the lease of its earlier run at once instead of waiting for it to run
 * out (node names are unique in a cluster).
 */
import type { Redis } from 'ioredis';

/** 0: another process holds it; 1: renewed; 2: acquired now. */
export type LeaseState = 0 | 1 | 2;

const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder and string.sub(holder, 1, #ARGV[3]) ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 2`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface LeaseCommands {
  modmqLeaseAcquire(key: string, token: string, ttlMs: number, ownPrefix: string): Promise<number>;
  modmqLeaseRelease(key: string, token: string): Promise<number>;
}

export class RedisLease {
  private readonly commands: LeaseCommands;

  /** `token` must start with `ownPrefix` (`<node name>#`). */
  constructor(
    redis: Redis,
    private readonly key: string,
    private readonly token: string,
    private readonly ownPrefix: string,
  ) {
    redis.defineCommand('modmqLeaseAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('modmqLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
    this.commands = redis as unknown as LeaseCommands;
  }

  /** Acquires or renews the lease for ttlMs. Rejects while Redis is unreachable. */
  async acquire(ttlMs: number): Promise<LeaseState> {
    return (await this.commands.modmqLeaseAcquire(this.key, this.token, ttlMs, this.ownPrefix)) as LeaseState;
  }

  /** Gives the lease up at once, if this process holds it. */
  async release(): Promise<void> {
    await this.commands.modmqLeaseRelease(this.key, this.token);
  }
}
