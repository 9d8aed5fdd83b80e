/**
 * Overlapping subscriptions [MQTT-3.3.4-2..5]: a message matching several subscriptions of one
 * client is sent ONCE, at the highest QoS of those subscriptions (never above the published QoS)
 * and with the Subscription Identifiers of all of them. The spec also allows one copy per
 * subscription; the single copy is what aedes' design (its per-message dedupe and its offline
 * queue bookkeeping) can carry without double deliveries, and MQTT 3.1.1 clients get the same.
 *
 * aedes calls every matching subscription function of a message in one synchronous loop, each
 * building its own copy (with that subscription's identifier) and handing it to the client's
 * deliver function; it then keeps the first copy and drops the others, at the QoS of whichever
 * came first and capped only by a subscription whose filter equals the topic (so a QoS 2 message
 * went out at QoS 2 on a QoS 1 wildcard subscription). Here:
 *
 * - each router subscription is wrapped to note which filter is being delivered, so the client's
 *   deliver function (wrapped once per connection) finds the subscription's granted QoS;
 * - the copies of one message are merged in a per-client slot and handed to aedes once, in a
 *   microtask (after aedes' synchronous loop, before its own setImmediate write);
 * - retained messages sent on SUBSCRIBE are capped by the matching subscription QoS too.
 *
 * A shared subscription's copy is not merged: it is a separate delivery [4.8.2] that the group
 * tracks for re-dispatch (shared-subscriptions-inflight.ts), sent besides the client's other copy. The offline queue gets the same
 * treatment in offline-queue.ts. Cost per delivery: a property lookup and a few field writes, one
 * microtask per burst of deliveries to a client; nothing is allocated unless copies are merged.
 */
import type { Aedes, Client } from 'aedes';
import { matchTopic } from './topic.js';

type Done = (error?: Error | null) => void;
type Deliver = (packet: DeliveryPacket, cb: Done) => void;
type SubscribeFn = (topic: string, func: Deliver, done?: Done) => void;

/** The per-subscription copy aedes builds (an aedes-packet Packet). */
export interface DeliveryPacket {
  topic: string;
  qos: number;
  retain: boolean;
  nl?: boolean;
  clientId?: string;
  brokerId?: string | null;
  brokerCounter?: number;
  properties?: Record<string, unknown>;
}

interface SubscriptionEntry {
  qos: number;
}

type DeliveringClient = Client & {
  deliverQoS: Deliver;
  deliver0: Deliver;
  subscriptions: Record<string, SubscriptionEntry | undefined>;
  /** aedes' per-origin high-water mark of delivered message counters (drops second copies). */
  duplicates: Record<string, number>;
};

const SETTLED = Promise.resolve();

/** The filter whose subscription function is running (set only for the synchronous call). */
let deliveringFilter: string | undefined;

/** Wraps aedes' router subscribe/unsubscribe so each delivery knows its filter. Install last. */
export function attachOverlappingSubscriptions(aedes: Aedes): void {
  const target = aedes as unknown as { subscribe: SubscribeFn; unsubscribe: SubscribeFn };
  const subscribe = target.subscribe.bind(aedes);
  const unsubscribe = target.unsubscribe.bind(aedes);
  const wrapped = new WeakMap<Deliver, Deliver>();

  target.subscribe = function filterAwareSubscribe(topic, func, done) {
    let route = wrapped.get(func);
    if (route === undefined) {
      route = function deliverForFilter(packet, cb) {
        const previous = deliveringFilter;
        deliveringFilter = topic;
        try {
          func(packet, cb);
        } finally {
          deliveringFilter = previous;
        }
      };
      wrapped.set(func, route);
    }
    subscribe(topic, route, done);
  };
  target.unsubscribe = function filterAwareUnsubscribe(topic, func, done) {
    unsubscribe(topic, wrapped.get(func) ?? func, done);
  };
}

/**
 * Replaces the client's deliver functions (before any subscription captures them) with the
 * merging ones. Call right after aedes created the client.
 */
export function mergeOverlappingDeliveries(client: Client): void {
  const c = client as DeliveringClient;
  const deliverQoS = c.deliverQoS;
  const deliver0 = c.deliver0;
  if (typeof deliverQoS !== 'function' || typeof deliver0 !== 'function') return;

  // The message being merged (one per client at a time: aedes' loop finishes before the microtask).
  let first: DeliveryPacket | undefined;
  let firstCb: Done | undefined;
  let qos = 0;
  let retain = false;
  let ids: unknown[] | undefined;
  const mergedCbs: Done[] = [];
  let scheduled = false;

  const flush = (): void => {
    const packet = first;
    const cb = firstCb;
    if (packet === undefined || cb === undefined) return;
    first = undefined;
    firstCb = undefined;
    packet.qos = qos;
    packet.retain = retain;
    if (ids !== undefined) {
      // Several identifiers: a fresh object (aedes may share the properties object between copies).
      packet.properties = { ...packet.properties, subscriptionIdentifier: ids };
      ids = undefined;
    }
    if (qos > 0) {
      deliverQoS(packet, cb);
      const exact = c.subscriptions[packet.topic];
      if (exact !== undefined && exact.qos < qos) liftExactCap(exact, qos);
    } else {
      deliver0(packet, cb);
    }
    // The merged-away copies were never handed to aedes: only their router callbacks remain.
    for (let i = 0; i < mergedCbs.length; i++) mergedCbs[i]!();
    mergedCbs.length = 0;
  };

  const deliver = (packet: DeliveryPacket, cb: Done, subscriptionQos: number | undefined): void => {
    const filter = deliveringFilter;
    if (filter === undefined) {
      // Not from the router: retained on SUBSCRIBE (capped here), or a direct client publish.
      if (packet.retain && packet.brokerId === null) packet.qos = retainedQos(c, packet);
      (packet.qos > 0 ? deliverQoS : deliver0)(packet, cb);
      return;
    }
    // No Local: this subscription contributes nothing for the client's own message.
    if (packet.nl === true && packet.clientId === c.id) {
      cb();
      return;
    }
    const granted = subscriptionQos ?? c.subscriptions[filter]?.qos ?? packet.qos;
    const effective = granted < packet.qos ? granted : packet.qos;
    if (filter.charCodeAt(0) === 0) {
      // A shared subscription's copy is its own [4.8.2]; delivered now (the group tracks it).
      packet.qos = effective;
      asSeparateCopy(c, packet, () => (effective > 0 ? deliverQoS : deliver0)(packet, cb));
      return;
    }
    if (first !== undefined && packet.brokerId && packet.brokerId === first.brokerId && packet.brokerCounter === first.brokerCounter) {
      if (effective > qos) qos = effective;
      if (packet.retain) retain = true;
      const id = packet.properties?.subscriptionIdentifier;
      if (id !== undefined) {
        const firstId = first.properties?.subscriptionIdentifier;
        ids ??= firstId === undefined ? [] : [firstId];
        if (!ids.includes(id)) ids.push(id);
      }
      mergedCbs.push(cb);
      return;
    }
    if (first !== undefined) flush();
    first = packet;
    firstCb = cb;
    qos = effective;
    retain = packet.retain;
    // One microtask per burst: a message arriving before it runs flushes the previous one itself.
    // A reaction on a settled promise, not queueMicrotask, which allocates an AsyncResource per call.
    if (!scheduled) {
      scheduled = true;
      void SETTLED.then(flushScheduled);
    }
  };
  const flushScheduled = (): void => {
    scheduled = false;
    flush();
  };

  c.deliverQoS = function mergedDeliverQoS(packet, cb) {
    deliver(packet, cb, undefined);
  };
  c.deliver0 = function mergedDeliver0(packet, cb) {
    deliver(packet, cb, 0);
  };
}

/**
 * aedes (and flow control, for held messages) sends one copy per message: a delivery whose counter
 * is not above its origin's mark is dropped, and it raises the mark. A shared subscription's copy
 * goes through with the mark lowered for the (synchronous) call and put back after, so it is
 * neither dropped because of the client's other copy nor makes that one dropped.
 */
function asSeparateCopy(client: DeliveringClient, packet: DeliveryPacket, send: () => void): void {
  const origin = packet.brokerId;
  if (!origin) {
    send();
    return;
  }
  const marks = client.duplicates;
  const counter = packet.brokerCounter ?? 0;
  const mark = marks[origin];
  marks[origin] = counter - 1;
  try {
    send();
  } finally {
    const now = marks[origin] ?? 0;
    // A later message of that origin delivered meanwhile keeps its mark.
    if (now > counter) return;
    if (mark === undefined) delete marks[origin];
    else marks[origin] = mark;
  }
}

/**
 * aedes caps a delivery, in the setImmediate that writes it, by the subscription whose filter equals
 * the topic, even when an overlapping wildcard subscription grants more. Every message on that
 * topic matches the same subscriptions, so their highest QoS is right for all of them: the exact
 * subscription's QoS is raised until the writes queued so far have run, then restored.
 */
function liftExactCap(exact: SubscriptionEntry, qos: number): void {
  const granted = exact.qos;
  exact.qos = qos;
  setImmediate(() => {
    if (exact.qos === qos) exact.qos = granted;
  });
}

/** A retained message goes out at most at the highest QoS of the client's matching subscriptions. */
function retainedQos(client: DeliveringClient, packet: DeliveryPacket): number {
  let max = -1;
  for (const filter in client.subscriptions) {
    const sub = client.subscriptions[filter];
    if (sub !== undefined && sub.qos > max && matchTopic(filter, packet.topic)) max = sub.qos;
  }
  return max >= 0 && max < packet.qos ? max : packet.qos;
}
