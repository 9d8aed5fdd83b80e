/**
 * The offline queue of persistent sessions, made to match live delivery (overlapping-subscriptions.ts).
 *
 * aedes queues every QoS 1/2 message for each matching persistent subscription through
 * `persistence.outgoingEnqueueCombi(subs, packet)` and replays the queue as stored on reconnect. It
 * stored one copy per matching subscription (two copies for overlapping filters), at the published
 * QoS (above a subscription's QoS), with the retain flag whatever Retain As Published said, without
 * Subscription Identifiers, and a No Local subscription still queued the client's own messages.
 * This wrapper, still going through aedes' persistence interface (memory or Redis), queues one
 * copy per client: QoS capped by the highest matching subscription, retain kept only when one of
 * them has Retain As Published, the identifiers of all of them, nothing for its own message when
 * every matching subscription is No Local.
 *
 * Subscription identifiers are not in the persistence's topic index (aedes-persistence keeps them
 * only per client), so they are cached here from addSubscriptions and subscriptionsByClient (what
 * aedes reads to restore a session). With a persistence shared by a cluster (Redis) a message is
 * queued by the node where it was published, whose cache knows only the sessions it served and may
 * be stale for them: there the cache is trusted only for clients connected to this node (their
 * subscriptions change only here), and the identifiers of any other client are read from the
 * persistence (`subscriptionsByClient`, one read per such client per queued message).
 */
import type { Aedes } from 'aedes';

export interface TopicSubscription {
  clientId: string;
  topic: string;
  qos: number;
  rap?: boolean;
  nl?: boolean;
}
export interface QueuedPacket {
  clientId?: string;
  qos: number;
  retain: boolean;
  properties?: Record<string, unknown>;
}
interface StoredSubscription {
  topic: string;
  subscriptionIdentifier?: number;
}
type ClientRef = { id: string };
interface QueuePersistence {
  outgoingEnqueueCombi(subs: TopicSubscription[], packet: QueuedPacket): Promise<void>;
  addSubscriptions(client: ClientRef, subs: StoredSubscription[]): Promise<void>;
  removeSubscriptions(client: ClientRef, topics: string[]): Promise<void>;
  cleanSubscriptions(client: ClientRef): Promise<void>;
  subscriptionsByClient(client: ClientRef): Promise<StoredSubscription[]>;
}

type PublishFn = (packet: QueuedPacket, client?: unknown, done?: unknown) => void;

export interface OfflineQueueOptions {
  /** The persistence is shared with other nodes (cluster): subscriptions may change elsewhere. */
  sharedPersistence?: boolean;
}

export function attachOfflineQueue(aedes: Aedes, options: OfflineQueueOptions = {}): void {
  // aedes queues before it stamps the publisher on the message (No Local needs it): stamp it first.
  const target = aedes as unknown as { publish: PublishFn };
  const publish = target.publish.bind(aedes);
  target.publish = function stampPublisher(packet, client, done) {
    if (client !== null && typeof client === 'object') packet.clientId = (client as ClientRef).id;
    publish(packet, client, done);
  };
  const persistence = (aedes as unknown as { persistence: QueuePersistence }).persistence;
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence);
  const add = persistence.addSubscriptions.bind(persistence);
  const remove = persistence.removeSubscriptions.bind(persistence);
  const clean = persistence.cleanSubscriptions.bind(persistence);
  const byClient = persistence.subscriptionsByClient.bind(persistence);
  // client id -> filter -> Subscription Identifier (only subscriptions that have one).
  const identifiers = new Map<string, Map<string, number>>();

  const remember = (clientId: string, subs: StoredSubscription[]): void => {
    let mine = identifiers.get(clientId);
    for (const sub of subs) {
      if (sub.subscriptionIdentifier !== undefined) (mine ??= newEntry(identifiers, clientId)).set(sub.topic, sub.subscriptionIdentifier);
      else mine?.delete(sub.topic);
    }
    if (mine?.size === 0) identifiers.delete(clientId);
  };

  persistence.addSubscriptions = async (client, subs) => {
    remember(client.id, subs);
    return add(client, subs);
  };
  persistence.removeSubscriptions = async (client, topics) => {
    const mine = identifiers.get(client.id);
    if (mine !== undefined) for (const topic of topics) mine.delete(topic);
    return remove(client, topics);
  };
  persistence.cleanSubscriptions = async (client) => {
    identifiers.delete(client.id);
    return clean(client);
  };
  persistence.subscriptionsByClient = async (client) => {
    const subs = await byClient(client);
    // The whole session as stored: what another node changed meanwhile replaces what was cached.
    identifiers.delete(client.id);
    remember(client.id, subs);
    return subs;
  };

  // aedes asks for every QoS 1/2 publish; most match no persistent session: nothing to adjust.
  if (options.sharedPersistence === true) {
    const clients = (aedes as unknown as { clients: Record<string, unknown> }).clients;
    persistence.outgoingEnqueueCombi = (subs, packet) => (subs.length === 0 ? enqueue(subs, packet) : enqueueShared(subs, packet));
    const enqueueShared = async (subs: TopicSubscription[], packet: QueuedPacket): Promise<void> => {
      const known = new Map<string, ReadonlyMap<string, number>>();
      const reads: Promise<void>[] = [];
      for (const { clientId } of subs) {
        if (known.has(clientId)) continue;
        const local = clients[clientId] !== undefined;
        known.set(clientId, (local ? identifiers.get(clientId) : undefined) ?? NO_IDENTIFIERS);
        if (!local) reads.push(byClient({ id: clientId }).then((stored) => void known.set(clientId, identifiersOf(stored))));
      }
      await Promise.all(reads);
      return enqueueAdjusted(subs, packet, known);
    };
  } else {
    persistence.outgoingEnqueueCombi = (subs, packet) => (subs.length === 0 ? enqueue(subs, packet) : enqueueAdjusted(subs, packet, identifiers));
  }
  const enqueueAdjusted = async (subs: TopicSubscription[], packet: QueuedPacket, known: ReadonlyMap<string, ReadonlyMap<string, number>>): Promise<void> => {
    if (subs.length === 1) {
      const variant = queuedCopy([subs[0]!], packet, known);
      if (variant === packet) return enqueue(subs, packet);
      return variant === undefined ? undefined : enqueue(subs, variant);
    }
    const byClientId = new Map<string, TopicSubscription[]>();
    for (const sub of subs) {
      const group = byClientId.get(sub.clientId);
      if (group === undefined) byClientId.set(sub.clientId, [sub]);
      else group.push(sub);
    }
    const unchanged: TopicSubscription[] = [];
    const writes: Promise<void>[] = [];
    for (const group of byClientId.values()) {
      const variant = queuedCopy(group, packet, known);
      if (variant === packet) unchanged.push(group[0]!);
      else if (variant !== undefined) writes.push(enqueue([group[0]!], variant));
    }
    if (unchanged.length > 0) writes.push(enqueue(unchanged, packet));
    await Promise.all(writes);
  };
}

const NO_IDENTIFIERS: ReadonlyMap<string, number> = new Map();

/** Filter -> Subscription Identifier of a client's stored subscriptions (those that have one). */
function identifiersOf(subs: StoredSubscription[]): Map<string, number> {
  const entry = new Map<string, number>();
  for (const sub of subs) if (sub.subscriptionIdentifier !== undefined) entry.set(sub.topic, sub.subscriptionIdentifier);
  return entry;
}

function newEntry(identifiers: Map<string, Map<string, number>>, clientId: string): Map<string, number> {
  const entry = new Map<string, number>();
  identifiers.set(clientId, entry);
  return entry;
}

/**
 * What to queue for one client's matching subscriptions: the packet itself when nothing changes,
 * a copy with QoS/retain/identifiers adjusted, or undefined when nothing is queued (No Local).
 */
export function queuedCopy(group: TopicSubscription[], packet: QueuedPacket, identifiers: ReadonlyMap<string, ReadonlyMap<string, number>>): QueuedPacket | undefined {
  const own = packet.clientId === group[0]!.clientId;
  const mine = identifiers.get(group[0]!.clientId);
  let qos = -1;
  let retainAsPublished = false;
  let ids: number[] | undefined;
  for (const sub of group) {
    if (own && sub.nl === true) continue;
    if (sub.qos > qos) qos = sub.qos;
    if (sub.rap === true) retainAsPublished = true;
    const id = mine?.get(sub.topic);
    if (id !== undefined && !(ids ??= []).includes(id)) ids.push(id);
  }
  if (qos < 0) return undefined;
  const capped = qos < packet.qos ? qos : packet.qos;
  const retain = packet.retain && retainAsPublished;
  if (capped === packet.qos && retain === packet.retain && ids === undefined && group.length === 1) return packet;
  const copy: QueuedPacket = { ...packet, qos: capped, retain };
  if (ids !== undefined) copy.properties = { ...packet.properties, subscriptionIdentifier: ids.length === 1 ? ids[0] : ids };
  return copy;
}
