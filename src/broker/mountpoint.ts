/**
 * Mountpoints (EMQX `emqx_mountpoint`): a topic prefix an auth module grants a client on allow.
 * The client then lives in its own namespace: what it publishes is routed under the prefix, its
 * subscriptions are made under the prefix and deliveries to it lose the prefix again.
 *
 * Order in the pipeline, as EMQX 4.x emqx_channel does it:
 * - PUBLISH (and the will): ACL on the ORIGINAL topic, then mount, then topic rewrite and the
 *   messagePublish chain (both run in EMQX as 'message.publish' hooks, i.e. on the mounted topic).
 * - SUBSCRIBE: rewrite, ACL on the rewritten (unmounted) filter, then mount; for `$share/g/f`
 *   (and `$queue/f`) the inner filter is mounted, never the prefix. UNSUBSCRIBE: rewrite, mount.
 * - Delivery to a mounted client: a topic starting with the mountpoint loses it; any other topic
 *   (e.g. a direct BrokerApi publish to a foreign topic) is delivered as is.
 * Retained messages need nothing special: the store keeps the mounted topic and a mounted
 * subscription matches it, and the delivery strips the prefix.
 */
import { isValidTopicName } from './topic.js';

/** What the expansion needs of a client (a ClientInfo fits). */
export interface MountVars {
  clientId: string;
  username: string | undefined;
}

/**
 * Expands `%c` (client id) and `%u` (username) in a granted mountpoint. A placeholder whose value
 * is undefined is left as is, as EMQX's replvar does. One pass: a username containing `%c` is
 * not expanded again.
 */
export function expandMountpoint(template: string, vars: MountVars): string {
  if (!template.includes('%')) return template;
  return template.replace(/%[cu]/g, (placeholder) => {
    const value = placeholder === '%c' ? vars.clientId : vars.username;
    return value ?? placeholder;
  });
}

/**
 * Why an expanded mountpoint cannot be used, or undefined when it can. A wildcard would let a
 * client whose username is `+` subscribe across every tenant, so it is refused, as is anything
 * that could not prefix a valid topic name (NUL, over-long).
 */
export function mountpointProblem(mountpoint: string): string | undefined {
  if (mountpoint.length === 0) return undefined;
  if (mountpoint.includes('+') || mountpoint.includes('#')) return 'mountpoint contains a wildcard';
  if (!isValidTopicName(mountpoint)) return 'mountpoint is not a valid topic prefix';
  return undefined;
}

/** A topic name under the mountpoint. */
export function mountTopic(mountpoint: string | undefined, topic: string): string {
  return mountpoint === undefined || mountpoint.length === 0 ? topic : mountpoint + topic;
}

/** Length of the `$share/<group>/` or `$queue/` prefix of a filter; 0 for a plain filter. */
function sharePrefixLength(filter: string): number {
  if (filter.startsWith('$queue/')) return 7;
  if (!filter.startsWith('$share/')) return 0;
  const slash = filter.indexOf('/', 7);
  return slash < 0 ? 0 : slash + 1;
}

/** A topic filter under the mountpoint; a shared filter keeps its prefix and mounts the inner filter. */
export function mountFilter(mountpoint: string | undefined, filter: string): string {
  if (mountpoint === undefined || mountpoint.length === 0) return filter;
  const prefix = sharePrefixLength(filter);
  return prefix === 0 ? mountpoint + filter : filter.slice(0, prefix) + mountpoint + filter.slice(prefix);
}

/** The topic a mounted client sees: without the mountpoint when it starts with it, else unchanged. */
export function unmountTopic(mountpoint: string | undefined, topic: string): string {
  if (mountpoint === undefined || mountpoint.length === 0 || !topic.startsWith(mountpoint)) return topic;
  return topic.slice(mountpoint.length);
}

/** Inverse of {@link mountFilter}; a filter not under the mountpoint is returned unchanged. */
export function unmountFilter(mountpoint: string | undefined, filter: string): string {
  if (mountpoint === undefined || mountpoint.length === 0) return filter;
  const prefix = sharePrefixLength(filter);
  const inner = filter.slice(prefix);
  if (!inner.startsWith(mountpoint)) return filter;
  return filter.slice(0, prefix) + inner.slice(mountpoint.length);
}

/** The part of an aedes outgoing packet (or client) the delivery strip touches. */
interface OutgoingPublish {
  topic: string;
  qos: number;
}
interface SubscriptionsOf {
  subscriptions: Record<string, { qos?: number } | undefined>;
}

/**
 * Strips the mountpoint from a PUBLISH about to be written to a mounted client (aedes
 * authorizeForward). aedes hands a per-client copy here (per subscription, per retained
 * delivery, per queued message), so the topic is changed in place: on the offline-queue path
 * aedes ignores the returned packet and writes the one it passed.
 *
 * aedes downgrades QoS to the subscription's by looking up `subscriptions[packet.topic]` after
 * this runs; the subscription is stored under the mounted filter, so the downgrade is done
 * here, while the topic still is the mounted one.
 */
export function unmountOutgoing(mountpoint: string, client: SubscriptionsOf, packet: OutgoingPublish): void {
  const topic = packet.topic;
  if (!topic.startsWith(mountpoint)) return;
  const sub = client.subscriptions[topic];
  if (sub !== undefined && (sub.qos ?? 0) < packet.qos) packet.qos = sub.qos ?? 0;
  packet.topic = topic.slice(mountpoint.length);
}

/** A granted mountpoint, expanded for the client; `problem` when it must refuse the connection. */
export function resolveMountpoint(granted: string | undefined, vars: MountVars): { mountpoint?: string; problem?: string } {
  if (granted === undefined || granted.length === 0) return {};
  const mountpoint = expandMountpoint(granted, vars);
  const problem = mountpointProblem(mountpoint);
  return problem === undefined ? { mountpoint } : { problem };
}
