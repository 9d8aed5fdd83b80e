import type { AclAction } from './hooks.js';

/** Cache settings resolved once per setSettings (ttl already in ms). */
export interface AclCachePolicy {
  enable: boolean;
  maxSize: number;
  ttlMs: number;
  /** Bumped on every flush: entries of an older generation are dropped lazily. */
  generation: number;
}

/**
 * Per-client ACL decisions. Two maps keyed by topic (no key concatenation per lookup); the value
 * is the expiry time, negated for deny. Bounded: when full, the oldest insertion is evicted.
 */
export class AclCache {
  private readonly publish = new Map<string, number>();
  private readonly subscribe = new Map<string, number>();
  private generation: number;

  constructor(generation: number) {
    this.generation = generation;
  }

  /** true = allow, false = deny, undefined = not cached (or expired / flushed). */
  get(policy: AclCachePolicy, action: AclAction, topic: string, now: number): boolean | undefined {
    if (this.generation !== policy.generation) {
      this.clear(policy.generation);
      return undefined;
    }
    const map = action === 'publish' ? this.publish : this.subscribe;
    const value = map.get(topic);
    if (value === undefined) return undefined;
    const expires = value < 0 ? -value : value;
    if (expires <= now) {
      map.delete(topic);
      return undefined;
    }
    return value > 0;
  }

  set(policy: AclCachePolicy, action: AclAction, topic: string, allowed: boolean, now: number): void {
    if (this.generation !== policy.generation) this.clear(policy.generation);
    if (policy.maxSize <= 0) return;
    const map = action === 'publish' ? this.publish : this.subscribe;
    map.delete(topic);
    while (this.publish.size + this.subscribe.size >= policy.maxSize) {
      // Evict from the larger map first: a bound on the total, cheap to keep.
      const victim = this.publish.size >= this.subscribe.size ? this.publish : this.subscribe;
      const first = victim.keys().next();
      if (first.done) break;
      victim.delete(first.value);
    }
    const expires = now + Math.max(1, policy.ttlMs);
    map.set(topic, allowed ? expires : -expires);
  }

  size(): number {
    return this.publish.size + this.subscribe.size;
  }

  private clear(generation: number): void {
    this.publish.clear();
    this.subscribe.clear();
    this.generation = generation;
  }
}
