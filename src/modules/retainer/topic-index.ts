/**
 * A trie of topic names, one node per level, so a filter lookup visits only the branches the
 * filter can match: `a/+/c` walks `a`, every child of `a`, then `c`; only `#` and `+` fan out.
 * Follows MQTT matching: `+` is one level (possibly empty), `#` is the parent and every
 * descendant, and a filter starting with a wildcard never matches a topic starting with `$`.
 */
interface TrieNode {
  children: Map<string, TrieNode>;
  /** The full topic ending here, when one is stored. */
  topic: string | undefined;
  /** Topics stored at or below this node (lets `#` stop early and empty branches be pruned). */
  count: number;
}

function node(): TrieNode {
  return { children: new Map(), topic: undefined, count: 0 };
}

export class TopicIndex {
  private readonly root = node();

  get size(): number {
    return this.root.count;
  }

  /** Adds `topic`; false when it was already there. */
  add(topic: string): boolean {
    const levels = topic.split('/');
    let at = this.root;
    const path: TrieNode[] = [at];
    for (const level of levels) {
      let next = at.children.get(level);
      if (next === undefined) {
        next = node();
        at.children.set(level, next);
      }
      at = next;
      path.push(at);
    }
    if (at.topic !== undefined) return false;
    at.topic = topic;
    for (const n of path) n.count++;
    return true;
  }

  /** Removes `topic`; false when it was not there. Prunes branches left empty. */
  remove(topic: string): boolean {
    const levels = topic.split('/');
    const path: TrieNode[] = [this.root];
    let at = this.root;
    for (const level of levels) {
      const next = at.children.get(level);
      if (next === undefined) return false;
      at = next;
      path.push(at);
    }
    if (at.topic === undefined) return false;
    at.topic = undefined;
    for (const n of path) n.count--;
    for (let i = levels.length; i >= 1; i--) {
      if (path[i]!.count === 0) path[i - 1]!.children.delete(levels[i - 1]!);
      else break;
    }
    return true;
  }

  has(topic: string): boolean {
    let at: TrieNode | undefined = this.root;
    for (const level of topic.split('/')) {
      at = at.children.get(level);
      if (at === undefined) return false;
    }
    return at.topic !== undefined;
  }

  /** Every stored topic `filter` matches (no `$share/` handling: callers strip or skip it). */
  match(filter: string): string[] {
    const levels = filter.split('/');
    const out: string[] = [];
    // [MQTT-4.7.2-1]: a leading wildcard does not match `$` topics.
    const skipDollar = levels[0] === '+' || levels[0] === '#';
    this.walk(this.root, levels, 0, skipDollar, out);
    return out;
  }

  /** Every stored topic. */
  all(): string[] {
    const out: string[] = [];
    collect(this.root, out);
    return out;
  }

  private walk(at: TrieNode, levels: string[], i: number, skipDollar: boolean, out: string[]): void {
    if (i === levels.length) {
      if (at.topic !== undefined) out.push(at.topic);
      return;
    }
    const level = levels[i]!;
    if (level === '#') {
      // The parent level itself ("a/#" matches "a"), then everything below.
      if (at.topic !== undefined && i > 0) out.push(at.topic);
      for (const [name, child] of at.children) {
        if (skipDollar && i === 0 && name.startsWith('$')) continue;
        collect(child, out);
      }
      return;
    }
    if (level === '+') {
      for (const [name, child] of at.children) {
        if (skipDollar && i === 0 && name.startsWith('$')) continue;
        this.walk(child, levels, i + 1, skipDollar, out);
      }
      return;
    }
    const child = at.children.get(level);
    if (child !== undefined) this.walk(child, levels, i + 1, skipDollar, out);
  }
}

function collect(at: TrieNode, out: string[]): void {
  if (at.topic !== undefined) out.push(at.topic);
  for (const child of at.children.values()) collect(child, out);
}
