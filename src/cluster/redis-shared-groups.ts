/**
 * Shared subscriptions across the nodes of a cluster: one member cluster-wide gets each message.
 *
 * With a shared emitter every node that hosts a member of a group gets every message of the
 * group's filter. So the member is picked ONCE, on the node where the message was published, just
 * before the message goes to Redis ({@link RedisSharedGroups.pickAll}, called by the emitter
 * wrapper in redis-messaging.ts): the picks ride inside the routed message (field `SHARED_PICKS`
 * of shared-subscriptions.ts; aedes copies known fields only, so it never reaches a client), and each receiving node delivers only when the picked member is one of its
 * own. The strategy (round_robin, sticky, ...) therefore runs per publishing node, as in EMQX.
 *
 * Every node keeps the cluster-wide membership in memory, fed by Redis: a hash
 * `<prefix>shared` (field `<groupKey>\0<clientId>`, value: hosting node) loaded at start, and
 * add/remove events on the channel `<prefix>shared-events`.
 *
 * Limits: membership changes reach other nodes asynchronously, so a message published while a
 * member joins or leaves may go to a member that just left (dropped) or skip one that just joined.
 * Members of a node that crashed stay listed until that node starts again (it clears its old
 * entries) or stops sending heartbeats for a few minutes (shared-groups-liveness.ts calls
 * {@link RedisSharedGroups.forgetNode}); messages picked for them meanwhile are dropped.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { LocalSharedGroups, hashString, type SharedGroups, type SharedMessage, type SharedStrategy } from '../broker/shared-subscriptions-groups.js';
import { splitSharedFilter, matchTopic } from '../broker/topic.js';
import type { ClusterContext } from './cluster-context.js';

export type SharedPicks = Record<string, string>;

const SEP = '\u0000';

interface MembershipEvent {
  op: 'add' | 'remove';
  node: string;
  groupKey: string;
  memberId: string;
}

export interface RedisSharedGroupsOptions {
  cluster: ClusterContext;
  nodeName: string;
  strategy: SharedStrategy;
  log: Logger;
}

export class RedisSharedGroups implements SharedGroups {
  /** Cluster-wide membership, in join order as this node learnt it. */
  private readonly view: LocalSharedGroups;
  /** group key -> inner filter, for the groups in `view`. */
  private readonly filters = new Map<string, string>();
  /** `<groupKey>\0<memberId>` -> hosting node. */
  private readonly hosts = new Map<string, string>();
  private readonly hashKey: string;
  private readonly channel: string;
  private readonly commands: Redis;
  private readonly events: Redis;

  constructor(private readonly options: RedisSharedGroupsOptions) {
    this.view = new LocalSharedGroups(options.strategy);
    this.hashKey = `${options.cluster.keyPrefix}shared`;
    this.channel = `${options.cluster.keyPrefix}shared-events`;
    this.commands = options.cluster.connect();
    this.events = options.cluster.connect();
    for (const conn of [this.commands, this.events]) conn.on('error', (error: Error) => options.log.debug({ err: error }, 'shared groups: Redis error'));
    // Redis may come back empty (restart without persistence): list this node's members again.
    let connected = false;
    this.commands.on('ready', () => {
      if (connected) this.announceOwn();
      connected = true;
    });
  }

  private announceOwn(): void {
    for (const [key, node] of this.hosts) {
      if (node !== this.options.nodeName) continue;
      const at = key.indexOf(SEP);
      this.announce('add', key.slice(0, at), key.slice(at + 1));
    }
  }

  /** Subscribes to membership events, then loads the membership; clears this node's leftovers. */
  async start(): Promise<void> {
    this.events.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.apply(message);
    });
    await this.events.subscribe(this.channel);
    // This node has no member yet (the broker is not listening): entries under its name are stale.
    const stale: string[] = [];
    for (const [field, node] of Object.entries(await this.commands.hgetall(this.hashKey))) {
      const at = field.indexOf(SEP);
      if (at < 0) continue;
      const groupKey = field.slice(0, at);
      const memberId = field.slice(at + 1);
      if (node === this.options.nodeName) stale.push(field);
      else this.track('add', node, groupKey, memberId);
    }
    for (const field of stale) {
      const at = field.indexOf(SEP);
      this.announce('remove', field.slice(0, at), field.slice(at + 1));
    }
  }

  async close(): Promise<void> {
    this.events.disconnect();
    await this.commands.quit().catch(() => this.commands.disconnect());
  }

  add(groupKey: string, memberId: string): boolean {
    const added = this.track('add', this.options.nodeName, groupKey, memberId);
    this.announce('add', groupKey, memberId);
    return added;
  }

  remove(groupKey: string, memberId: string): boolean {
    // Only when this node still hosts it: a member taken over by another node stays.
    if (this.hosts.get(groupKey + SEP + memberId) !== this.options.nodeName) return false;
    const removed = this.track('remove', this.options.nodeName, groupKey, memberId);
    this.announce('remove', groupKey, memberId);
    return removed;
  }

  members(groupKey: string): readonly string[] {
    return this.view.members(groupKey);
  }

  /**
   * On a receiving node: the member the publishing node picked. A message without picks (published
   * before the publisher learnt of the group) falls back to a hash of the topic over the members
   * this node knows, which every node with the same view computes alike.
   */
  pick(groupKey: string, message: SharedMessage): string | undefined {
    const picked = message.picks?.[groupKey];
    if (picked !== undefined) return picked;
    const members = this.view.members(groupKey);
    return members.length === 0 ? undefined : members[hashString(message.topic) % members.length];
  }

  /**
   * On the publishing node: one member per group whose filter matches, by the node's strategy.
   * HERE_ONLY (Redis is down: other nodes cannot be reached) picks among this node's members.
   */
  pickAll(topic: string, publisher: string | undefined, hereOnly = false): SharedPicks | undefined {
    if (this.filters.size === 0) return undefined;
    let picks: SharedPicks | undefined;
    for (const [groupKey, filter] of this.filters) {
      if (!matchTopic(filter, topic)) continue;
      const member = hereOnly ? this.pickHere(groupKey, topic, publisher) : this.view.pick(groupKey, { topic, publisher });
      if (member !== undefined) (picks ??= {})[groupKey] = member;
    }
    return picks;
  }

  private hostedHere(groupKey: string, memberId: string): boolean {
    return this.hosts.get(groupKey + SEP + memberId) === this.options.nodeName;
  }

  /** The strategy's pick if it is a member of this node (round robin moves on), else one by topic hash. */
  private pickHere(groupKey: string, topic: string, publisher: string | undefined): string | undefined {
    const members = this.view.members(groupKey);
    for (let i = 0; i < members.length; i++) {
      const member = this.view.pick(groupKey, { topic, publisher });
      if (member === undefined) return undefined;
      if (this.hostedHere(groupKey, member)) return member;
    }
    const here = members.filter((m) => this.hostedHere(groupKey, m));
    return here.length === 0 ? undefined : here[hashString(topic) % here.length];
  }

  /** Nodes hosting the members this node knows of. */
  hostNodes(): Iterable<string> {
    return this.hosts.values();
  }

  /** Drops every member hosted by NODE (for when the cluster knows it is gone for good). */
  forgetNode(node: string): void {
    for (const [key, host] of [...this.hosts]) {
      if (host !== node) continue;
      const at = key.indexOf(SEP);
      this.track('remove', node, key.slice(0, at), key.slice(at + 1));
      this.commands.hdel(this.hashKey, key).catch(() => undefined);
    }
  }

  private apply(message: string): void {
    let event: MembershipEvent;
    try {
      event = JSON.parse(message) as MembershipEvent;
    } catch {
      return;
    }
    if (event.node === this.options.nodeName) return;
    this.track(event.op, event.node, event.groupKey, event.memberId);
  }

  private track(op: 'add' | 'remove', node: string, groupKey: string, memberId: string): boolean {
    const key = groupKey + SEP + memberId;
    if (op === 'add') {
      const filter = splitSharedFilter(groupKey)?.filter;
      if (filter === undefined) return false;
      this.hosts.set(key, node);
      this.filters.set(groupKey, filter);
      return this.view.add(groupKey, memberId);
    }
    // A remove from a node that no longer hosts the member (it moved) changes nothing.
    if (this.hosts.get(key) !== node) return false;
    this.hosts.delete(key);
    const removed = this.view.remove(groupKey, memberId);
    if (this.view.members(groupKey).length === 0) this.filters.delete(groupKey);
    return removed;
  }

  private announce(op: 'add' | 'remove', groupKey: string, memberId: string): void {
    const field = groupKey + SEP + memberId;
    const event: MembershipEvent = { op, node: this.options.nodeName, groupKey, memberId };
    const write = op === 'add' ? this.commands.hset(this.hashKey, field, this.options.nodeName) : this.hdelIfMine(field);
    write
      .then(() => this.commands.publish(this.channel, JSON.stringify(event)))
      .catch((error: unknown) => this.options.log.warn({ err: error, groupKey, memberId }, 'shared group membership not shared with the cluster'));
  }

  /** Removes the entry only while it names this node (the member may have moved on). */
  private hdelIfMine(field: string): Promise<unknown> {
    return this.commands.eval(
      "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0",
      1,
      this.hashKey,
      field,
      this.options.nodeName,
    );
  }
}
