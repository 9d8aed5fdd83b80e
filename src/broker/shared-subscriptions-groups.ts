/**
 * Shared-subscription groups: who is in which group and which member gets the next message.
 * Members are plain ids (client ids) so a cluster backend (Redis) can implement the same
 * interface later; the broker keeps the id -> delivery function map locally.
 */

export type SharedStrategy = 'random' | 'round_robin' | 'sticky' | 'hash_clientid' | 'hash_topic';
export const SHARED_STRATEGIES: readonly SharedStrategy[] = ['random', 'round_robin', 'sticky', 'hash_clientid', 'hash_topic'];

/** What a strategy may look at to pick a member. */
export interface SharedMessage {
  topic: string;
  /** Client id of the publisher; undefined for broker-originated messages. */
  publisher: string | undefined;
  /** Cluster: group key -> member the publishing node already picked. */
  picks?: Readonly<Record<string, string>> | undefined;
}

/**
 * The dispatcher behind shared subscriptions. A group key identifies one (group, filter) pair
 * (`$share/<group>/<filter>`, mounted): `$share/g/a` and `$share/g/b` are different groups.
 */
export interface SharedGroups {
  /** Adds a member; true when it was not a member yet. */
  add(groupKey: string, memberId: string): boolean;
  /** Removes a member; true when it was one. */
  remove(groupKey: string, memberId: string): boolean;
  /** The member that gets this message, or undefined when the group is empty. */
  pick(groupKey: string, message: SharedMessage): string | undefined;
  /** Current members, in join order. */
  members(groupKey: string): readonly string[];
}

interface Group {
  members: string[];
  next: number;
  sticky: string | undefined;
}

/** In-memory groups for one node. */
export class LocalSharedGroups implements SharedGroups {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly strategy: SharedStrategy,
    private readonly random: () => number = Math.random,
  ) {}

  add(groupKey: string, memberId: string): boolean {
    let group = this.groups.get(groupKey);
    if (group === undefined) {
      group = { members: [], next: 0, sticky: undefined };
      this.groups.set(groupKey, group);
    }
    if (group.members.includes(memberId)) return false;
    group.members.push(memberId);
    return true;
  }

  remove(groupKey: string, memberId: string): boolean {
    const group = this.groups.get(groupKey);
    if (group === undefined) return false;
    const index = group.members.indexOf(memberId);
    if (index < 0) return false;
    group.members.splice(index, 1);
    // Keep the round-robin position on the member that followed the one removed.
    if (group.next > index) group.next--;
    if (group.sticky === memberId) group.sticky = undefined;
    if (group.members.length === 0) this.groups.delete(groupKey);
    return true;
  }

  members(groupKey: string): readonly string[] {
    return this.groups.get(groupKey)?.members ?? [];
  }

  pick(groupKey: string, message: SharedMessage): string | undefined {
    const group = this.groups.get(groupKey);
    if (group === undefined || group.members.length === 0) return undefined;
    const members = group.members;
    const n = members.length;
    switch (this.strategy) {
      case 'round_robin': {
        const index = group.next % n;
        group.next = (index + 1) % n;
        return members[index];
      }
      case 'sticky':
        group.sticky ??= members[Math.floor(this.random() * n) % n];
        return group.sticky;
      case 'hash_clientid':
        return members[hashString(message.publisher ?? '') % n];
      case 'hash_topic':
        return members[hashString(message.topic) % n];
      case 'random':
      default:
        return members[Math.floor(this.random() * n) % n];
    }
  }
}

/** FNV-1a over UTF-16 code units: stable across nodes and runs, no allocation. */
export function hashString(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
