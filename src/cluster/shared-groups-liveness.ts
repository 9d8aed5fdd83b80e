/**
 * Forgets the shared-subscription members of nodes that stopped sending aedes heartbeats
 * (`$SYS/<node>/heartbeat`, every minute through the shared emitter), so a crashed node's
 * members stop getting picked (their messages would be dropped) without waiting for it to restart.
 * A node never heard of since this node started gets the same grace period from that start.
 */
export interface LivenessTarget {
  /** Nodes hosting at least one member this node knows of. */
  hostNodes(): Iterable<string>;
  forgetNode(node: string): void;
}

export class SharedGroupsLiveness {
  private readonly lastSeen = new Map<string, number>();
  private readonly startedAt: number;

  constructor(
    private readonly self: string,
    private readonly target: LivenessTarget,
    /** Silence after which a node counts as gone (aedes uses 3 heartbeat intervals for wills). */
    private readonly graceMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** A heartbeat or birth message of NODE. */
  heard(node: string): void {
    this.lastSeen.set(node, this.now());
  }

  /** Forgets the members of every silent node; returns the nodes forgotten. */
  sweep(): string[] {
    const now = this.now();
    const gone: string[] = [];
    for (const node of new Set(this.target.hostNodes())) {
      if (node === this.self) continue;
      if (now - (this.lastSeen.get(node) ?? this.startedAt) > this.graceMs) gone.push(node);
    }
    for (const node of gone) {
      this.target.forgetNode(node);
      this.lastSeen.delete(node);
    }
    return gone;
  }
}
