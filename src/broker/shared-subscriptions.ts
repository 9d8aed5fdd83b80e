/**
 * Shared subscriptions (`$share/<group>/<filter>`, EMQX's `$queue/<filter>`) in front of aedes.
 *
 * A shared SUBSCRIBE reaches aedes under a private key (shared-subscriptions-topic.ts), so aedes
 * builds its usual per-subscription delivery function (QoS, subscription identifier, retain as
 * published) and stores the key for persistent sessions. Its `subscribe`/`unsubscribe` calls for
 * such keys are taken over here: the delivery function joins the group instead of the router, and
 * the group holds ONE router subscription on the inner filter whose handler picks one member per
 * message through {@link SharedGroups}. A member leaves on UNSUBSCRIBE and on disconnect (aedes
 * unsubscribes everything of a closing client), so later messages go to the members left.
 * Retained messages never go to a shared subscription (retained-bridge.ts skips the keys).
 * A member whose connection closes hands its unacknowledged QoS 1/2 messages back to the group
 * (shared-subscriptions-inflight.ts).
 */
import type { Aedes } from 'aedes';
import type { PipelineContext } from './pipeline-context.js';
import { LocalSharedGroups, type SharedGroups, type SharedStrategy } from './shared-subscriptions-groups.js';
import { fromSharedKey, groupKeyOf } from './shared-subscriptions-topic.js';
import { SharedInflight, type SharedDeliveredPacket } from './shared-subscriptions-inflight.js';

/** Field of a routed message carrying the publishing node's picks (see src/cluster/redis-shared-groups.ts). */
export const SHARED_PICKS = 'modmqSharedPicks';

type Done = (error?: Error | null) => void;
type Deliver = (packet: DeliveredPacket, cb: Done) => void;
type SubscribeFn = (topic: string, func: Deliver, done?: Done) => void;
type DeliveredPacket = SharedDeliveredPacket & {
  /** Members picked by the publishing node (cluster; redis-shared-groups.ts). */
  [SHARED_PICKS]?: Readonly<Record<string, string>>;
};

interface LocalGroup {
  filter: string;
  /** Member id (client id) -> its aedes delivery function. */
  deliver: Map<string, Deliver>;
  route: Deliver;
}

export interface SharedSubscriptionsOptions {
  strategy: SharedStrategy;
  /** Defaults to in-memory groups; a cluster backend passes its own. */
  groups?: SharedGroups;
}

export interface SharedSubscriptions {
  readonly groups: SharedGroups;
  /** Unacknowledged deliveries to members; its track() and acknowledged() are wired per connection. */
  readonly inflight: SharedInflight;
  /** Number of local members of a group key (`$share/g/f`, mounted), for tests and stats. */
  localMembers(groupKey: string): number;
}

export function attachSharedSubscriptions(aedes: Aedes, ctx: PipelineContext, options: SharedSubscriptionsOptions): SharedSubscriptions {
  const localGroups = options.groups === undefined ? new LocalSharedGroups(options.strategy) : undefined;
  const groups = options.groups ?? localGroups!;
  const local = new Map<string, LocalGroup>();
  const target = aedes as unknown as { subscribe: SubscribeFn; unsubscribe: SubscribeFn };
  const subscribe = target.subscribe.bind(aedes);
  const unsubscribe = target.unsubscribe.bind(aedes);
  const inflight = new SharedInflight((aedes as unknown as { persistence: ConstructorParameters<typeof SharedInflight>[0] }).persistence);

  function makeRoute(groupKey: string, filter: string): Deliver {
    // MQTT-4.7.2-1: a filter starting with a wildcard does not match `$` topics.
    const blockDollar = filter.startsWith('+') || filter.startsWith('#');
    return function routeShared(packet, cb) {
      if (blockDollar && packet.topic.charCodeAt(0) === 0x24) return cb();
      const group = local.get(groupKey);
      const memberId = groups.pick(groupKey, { topic: packet.topic, publisher: packet.clientId, picks: packet[SHARED_PICKS] });
      const deliver = memberId === undefined ? undefined : group?.deliver.get(memberId);
      // In a cluster the member picked may live on another node, which delivers it.
      if (deliver === undefined && memberId !== undefined && groups !== localGroups) return cb();
      if (deliver === undefined) {
        // No member can take it (all left): counted, as EMQX drops it too.
        ctx.metrics.dropped.inc();
        ctx.log.debug({ group: groupKey, topic: packet.topic }, 'shared subscription message dropped: no member');
        return cb();
      }
      inflight.dispatch(groupKey, packet, deliver, cb);
    };
  }

  /** Hands a closed member's unacknowledged messages to the members left (dropped if none, or expired). */
  function redispatch(groupKey: string, clientId: string): void {
    const group = local.get(groupKey);
    const stillMember = (key: string): boolean => local.get(key)?.deliver.has(clientId) === true;
    const messages = inflight.takeUnacked(clientId, groupKey, stillMember);
    if (messages.length === 0) return;
    const now = Date.now();
    for (const message of messages) {
      if (message.messageExpiry !== undefined && message.messageExpiry <= now) continue;
      if (group === undefined) {
        ctx.metrics.dropped.inc();
        continue;
      }
      // A new identity on this node: the member's per-message dedupe has seen newer messages.
      const again: SharedDeliveredPacket = { ...message, brokerId: undefined, brokerCounter: 0 };
      // The time it waited counts against its Message Expiry Interval [MQTT-3.3.2-6].
      if (message.messageExpiry !== undefined && message.properties !== undefined) {
        again.properties = { ...message.properties, messageExpiryInterval: Math.ceil((message.messageExpiry - now) / 1000) };
      }
      group.route(again, noop);
    }
    ctx.log.debug({ group: groupKey, clientId, count: messages.length }, 'shared subscription: unacknowledged messages re-dispatched');
  }

  target.subscribe = function sharedAwareSubscribe(topic, func, done) {
    const key = fromSharedKey(topic);
    if (key === undefined) return subscribe(topic, func, done);
    const groupKey = groupKeyOf(key.shared);
    let group = local.get(groupKey);
    const first = group === undefined;
    if (group === undefined) {
      group = { filter: key.shared.filter, deliver: new Map(), route: makeRoute(groupKey, key.shared.filter) };
      local.set(groupKey, group);
    }
    // A session taken over re-subscribes before the old connection unsubscribes: the newest wins.
    group.deliver.set(key.clientId, func);
    groups.add(groupKey, key.clientId);
    if (first) subscribe(group.filter, group.route, done);
    else (done ?? noop)(null);
  };

  target.unsubscribe = function sharedAwareUnsubscribe(topic, func, done) {
    const key = fromSharedKey(topic);
    if (key === undefined) return unsubscribe(topic, func, done);
    const groupKey = groupKeyOf(key.shared);
    const group = local.get(groupKey);
    // Only the subscription that is current for this client leaves (see take-over above).
    if (group === undefined || group.deliver.get(key.clientId) !== func) return (done ?? noop)(null);
    group.deliver.delete(key.clientId);
    groups.remove(groupKey, key.clientId);
    // aedes unsubscribes everything of a closing client: then its in-flight messages go back to the group.
    const closing = ctx.clients.get(key.clientId)?.client.closed !== false;
    if (group.deliver.size > 0) {
      if (closing) redispatch(groupKey, key.clientId);
      return (done ?? noop)(null);
    }
    local.delete(groupKey);
    if (closing) redispatch(groupKey, key.clientId);
    unsubscribe(group.filter, group.route, done);
  };

  return {
    groups,
    inflight,
    localMembers: (groupKey) => local.get(groupKey)?.deliver.size ?? 0,
  };
}

function noop(): void {}
