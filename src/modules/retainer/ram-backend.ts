import type { RetainedMessage } from '../../broker/hooks.js';
import { TopicIndex } from './topic-index.js';

/** Where the retainer keeps its messages (`redis`: cluster mode). Lookups are always served from memory. */
export type RetainedStorage = 'ram' | 'disc' | 'redis';

export interface RetainedBackend {
  readonly kind: RetainedStorage;
  readonly size: number;
  get(topic: string): RetainedMessage | undefined;
  put(message: RetainedMessage): void;
  delete(topic: string): boolean;
  /** Messages whose topic matches `filter` (expired ones included: the caller filters). */
  match(filter: string): RetainedMessage[];
  values(): IterableIterator<RetainedMessage>;
  /** Replaces the whole content (storage migration). */
  replaceAll(messages: Iterable<RetainedMessage>): void;
  /** Removes expired messages itself (shared backends: only what the shared store holds as expired). */
  sweepExpired?(now: number): number;
  close(): void;
}

/** In memory: a Map by topic plus a topic trie for wildcard filters. */
export class RamBackend implements RetainedBackend {
  readonly kind: RetainedStorage = 'ram';
  protected readonly byTopic = new Map<string, RetainedMessage>();
  protected readonly index = new TopicIndex();

  get size(): number {
    return this.byTopic.size;
  }

  get(topic: string): RetainedMessage | undefined {
    return this.byTopic.get(topic);
  }

  put(message: RetainedMessage): void {
    if (!this.byTopic.has(message.topic)) this.index.add(message.topic);
    this.byTopic.set(message.topic, message);
  }

  delete(topic: string): boolean {
    if (!this.byTopic.delete(topic)) return false;
    this.index.remove(topic);
    return true;
  }

  match(filter: string): RetainedMessage[] {
    // A plain topic is one Map lookup; only wildcard filters walk the trie.
    if (!filter.includes('+') && !filter.includes('#')) {
      const m = this.byTopic.get(filter);
      return m === undefined ? [] : [m];
    }
    const out: RetainedMessage[] = [];
    for (const topic of this.index.match(filter)) {
      const m = this.byTopic.get(topic);
      if (m !== undefined) out.push(m);
    }
    return out;
  }

  values(): IterableIterator<RetainedMessage> {
    return this.byTopic.values();
  }

  replaceAll(messages: Iterable<RetainedMessage>): void {
    for (const topic of [...this.byTopic.keys()]) this.delete(topic);
    for (const m of messages) this.put(m);
  }

  close(): void {
    this.byTopic.clear();
  }
}
