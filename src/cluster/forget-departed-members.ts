/**
 * Shared-subscription members of a node that left the cluster are forgotten as soon as membership
 * says it is gone (a few heartbeats), instead of after aedes' minutes-long silence
 * (shared-groups-liveness.ts stays as the fallback). A node must be missing from the member list
 * for `graceMs` in a row: a node that just started may host members before it announces itself.
 * A list read while Redis is unreachable proves nothing and is ignored.
 */
import type { ClusterNodes } from './cluster-view.js';
import type { LivenessTarget } from './shared-groups-liveness.js';

export class DepartedMembers {
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly self: string,
    private readonly target: LivenessTarget,
    private readonly graceMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Compares the hosts of known members with a fresh member list; returns the nodes forgotten. */
  check(view: ClusterNodes): string[] {
    if (view.error !== undefined) return [];
    const live = new Set(view.nodes.map((n) => n.name));
    const now = this.now();
    const forgotten: string[] = [];
    const hosts = new Set(this.target.hostNodes());
    for (const node of this.missingSince.keys()) if (!hosts.has(node) || live.has(node)) this.missingSince.delete(node);
    for (const node of hosts) {
      if (node === this.self || live.has(node)) continue;
      const since = this.missingSince.get(node);
      if (since === undefined) this.missingSince.set(node, now);
      else if (now - since >= this.graceMs) {
        this.target.forgetNode(node);
        this.missingSince.delete(node);
        forgotten.push(node);
      }
    }
    return forgotten;
  }
}
