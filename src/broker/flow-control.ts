/**
 * MQTT 5 flow control (Receive Maximum, MQTT 5 §4.9) for one client, in both directions.
 *
 * Outbound: aedes writes every QoS 1/2 delivery at once. We wrap the client's `deliverQoS` (as
 * packet-tap does, before any subscription captures it): while the client's own Receive Maximum
 * of QoS 1/2 PUBLISH is unacknowledged, later ones wait here in order and go out as PUBACK,
 * PUBCOMP or an error PUBREC arrive. QoS 0 is never held. Clients that kept the default 65535
 * (and all MQTT 3 clients) skip all of this.
 *
 * Inbound: a v5 client may have at most the server's Receive Maximum QoS 2 PUBLISH waiting for
 * PUBREL (the messages the broker holds for it); one more gets DISCONNECT 0x93. QoS 1 is not
 * counted: aedes answers each QoS 1 PUBLISH before it reads further from the socket, so none
 * accumulates, and MQTT.js (which ignores the server's Receive Maximum) may burst QoS 1 safely.
 */
import type { Client } from 'aedes';
import type { BrokerMetrics } from './broker-metrics.js';
import { stateOf } from './client-state.js';

const FLOW = Symbol('modmq.flowControl');
const RECEIVE_MAXIMUM_EXCEEDED = 0x93;
/** The MQTT default: a client that sends no Receive Maximum allows 65535. */
const NO_LIMIT = 65535;
/** Held deliveries per client beyond which the oldest is dropped (EMQX max_mqueue_len, 1000). */
export const MAX_HELD = 1000;

type Done = () => void;
type Deliver = (packet: DeliveredPacket, cb: Done) => void;
interface DeliveredPacket {
  qos: number;
  topic: string;
  brokerId?: string;
  brokerCounter?: number;
}
interface InboundPublish {
  qos?: number;
  messageId?: number;
  _notAuthorized?: boolean;
}
type FlowClient = Client & {
  [FLOW]?: FlowControl;
  deliverQoS?: Deliver;
  receiveMaximum?: number;
  /** aedes' per-origin high-water mark of delivered message counters (drops second copies). */
  duplicates: Record<string, number>;
  subscriptions: Record<string, { qos?: number } | undefined>;
  disconnect(opts: { reasonCode: number }, done?: () => void): void;
};
type ForwardFn = (client: Client, packet: DeliveredPacket) => DeliveredPacket | null | undefined | false;

/**
 * While a held or direct delivery is handed to aedes, `authorizeForward` is swapped for a probe
 * that records the verdict of the whole chain (aedes skips no-local, second copies and what
 * authorizeForward refuses, e.g. too large): only a message aedes really writes takes a slot.
 * Swapped per call, so it sees every wrapper whenever it was added. Synchronous, never nested.
 */
let outerForward: ForwardFn | null = null;
let probing: Client | null = null;
let forwarded: DeliveredPacket | null = null;

function probeForward(this: unknown, client: Client, packet: DeliveredPacket): ReturnType<ForwardFn> {
  const result = outerForward!.call(this, client, packet);
  if (client === probing) forwarded = result ? result : null;
  return result;
}

export class FlowControl {
  /** QoS 1/2 PUBLISH written to the client and not yet acknowledged. */
  private inflight = 0;
  /** Deliveries waiting for a free slot: packet, packet, ... (flat, no per-message wrapper). */
  private readonly held: DeliveredPacket[] = [];
  private deliver: Deliver | undefined;
  /** QoS 2 PUBLISH waiting for PUBREL, by packet id; created on the first one. */
  private awaitingRelease: Map<number, InboundPublish> | undefined;
  private disconnecting = false;
  /** Set while the offline queue is replayed (offline-replay.ts): live deliveries wait behind it. */
  private replay: { waiting: (() => void) | undefined } | undefined;

  private constructor(
    private readonly client: FlowClient,
    private readonly serverReceiveMaximum: number,
    private readonly metrics: BrokerMetrics,
  ) {}

  /** Installs flow control on a fresh aedes client (before CONNECT is handled). */
  static attach(client: Client, serverReceiveMaximum: number, metrics: BrokerMetrics): FlowControl {
    const c = client as FlowClient;
    const flow = new FlowControl(c, serverReceiveMaximum, metrics);
    c[FLOW] = flow;
    const deliver = c.deliverQoS;
    if (typeof deliver === 'function') {
      flow.deliver = deliver;
      c.deliverQoS = function flowControlledDeliverQoS(packet, cb) {
        flow.offer(packet, cb);
      };
    }
    return flow;
  }

  /** A QoS 1/2 delivery: written now if a slot is free, else held in order. */
  private offer(packet: DeliveredPacket, cb: Done): void {
    const limit = this.client.receiveMaximum ?? NO_LIMIT;
    if (packet.qos === 0 || limit >= NO_LIMIT) {
      this.deliver!.call(this.client, packet, cb);
      return;
    }
    if (this.inflight < limit && this.held.length === 0 && this.replay === undefined) {
      this.send(packet, cb);
      return;
    }
    if (this.seenBefore(packet)) {
      // A second copy (overlapping subscriptions, cluster): aedes drops it, with its own cleanup.
      this.deliver!.call(this.client, packet, cb);
      return;
    }
    if (this.held.length >= MAX_HELD) {
      this.held.shift();
      this.metrics.dropped.inc();
    }
    this.held.push(packet);
    // The router must not wait for this client's acknowledgements.
    setImmediate(cb);
  }

  /**
   * aedes drops a delivery whose counter is not above the last one it delivered from that origin,
   * which is how it sends one copy per message. Held messages go out after later ones, so the
   * check is made here, in arrival order, and skipped when they are released (see release).
   */
  private seenBefore(packet: DeliveredPacket): boolean {
    const origin = packet.brokerId;
    if (!origin) return false;
    const counter = packet.brokerCounter ?? 0;
    const marks = this.client.duplicates;
    if ((marks[origin] ?? 0) >= counter) return true;
    marks[origin] = counter;
    return false;
  }

  /** A held message goes to aedes with its origin's mark lowered for the (synchronous) call. */
  private release(packet: DeliveredPacket): void {
    const origin = packet.brokerId;
    if (!origin) {
      this.send(packet, noop);
      return;
    }
    const marks = this.client.duplicates;
    const mark = marks[origin] ?? 0;
    marks[origin] = (packet.brokerCounter ?? 0) - 1;
    try {
      this.send(packet, noop);
    } finally {
      marks[origin] = Math.max(mark, marks[origin] ?? 0);
    }
  }

  /** Hands one delivery to aedes and counts it if aedes is really writing a QoS 1/2 PUBLISH. */
  private send(packet: DeliveredPacket, cb: Done): void {
    const broker = (this.client as unknown as { broker: { authorizeForward: ForwardFn } }).broker;
    const outer = broker.authorizeForward;
    outerForward = outer;
    broker.authorizeForward = probeForward;
    probing = this.client;
    forwarded = null;
    try {
      this.deliver!.call(this.client, packet, cb);
    } finally {
      broker.authorizeForward = outer;
      outerForward = null;
      probing = null;
    }
    // Set by flowObservedForward during the call (TypeScript cannot see that).
    const sent = forwarded as DeliveredPacket | null;
    forwarded = null;
    if (sent === null) return;
    // aedes downgrades to the QoS of an exact subscription on the topic; QoS 0 takes no slot.
    const sub = this.client.subscriptions[sent.topic];
    if (sub !== undefined && (sub.qos ?? 0) === 0) return;
    this.inflight++;
  }

  /** PUBACK, PUBCOMP, or PUBREC with a reason code >= 0x80: one slot free. */
  acknowledged(): void {
    if (this.inflight > 0) this.inflight--;
    this.pump();
  }

  /** Gives free slots to the waiting replay, else to held deliveries in order. */
  private pump(): void {
    const limit = this.client.receiveMaximum ?? NO_LIMIT;
    if (this.replay !== undefined) {
      const waiting = this.replay.waiting;
      if (waiting !== undefined && this.inflight < limit) {
        this.replay.waiting = undefined;
        this.inflight++;
        waiting();
      }
      return;
    }
    while (this.held.length > 0 && this.inflight < (this.client.receiveMaximum ?? NO_LIMIT)) {
      if (this.client.closed) {
        this.held.length = 0;
        return;
      }
      this.release(this.held.shift()!);
    }
  }

  /**
   * The offline queue is about to be replayed: false when this client has no window (nothing to
   * pace). Otherwise live deliveries are held until endReplay, so queued messages go first.
   */
  startReplay(): boolean {
    if ((this.client.receiveMaximum ?? NO_LIMIT) >= NO_LIMIT) return false;
    this.replay = { waiting: undefined };
    return true;
  }

  /** Resolves once a slot is free for the next replayed message, and takes it. */
  replaySlot(): Promise<void> {
    const replay = this.replay;
    if (replay === undefined) return Promise.resolve();
    if (this.inflight < (this.client.receiveMaximum ?? NO_LIMIT)) {
      this.inflight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      replay.waiting = resolve;
    });
  }

  /** A replayed message that took a slot was dropped (expired, refused) instead of written. */
  replayNotWritten(): void {
    this.acknowledged();
  }

  /** Replay over (or the connection gone): a waiting replay step goes on, held deliveries follow. */
  endReplay(): void {
    const waiting = this.replay?.waiting;
    this.replay = undefined;
    // Its write fails on a closed connection; it must not wait forever either way.
    waiting?.();
    this.pump();
  }

  /** An inbound PUBLISH; false when it exceeds the server's Receive Maximum (the client is being disconnected). */
  inboundPublish(packet: InboundPublish): boolean {
    if (this.disconnecting) return false;
    const qos = packet.qos ?? 0;
    if (qos !== 2 || this.client.version !== 5 || packet.messageId === undefined) return true;
    // A retransmission (same id) replaces its entry: it is not one more.
    (this.awaitingRelease ??= new Map()).set(packet.messageId, packet);
    if (this.awaitingReleaseCount() <= this.serverReceiveMaximum) return true;
    this.disconnecting = true;
    const state = stateOf(this.client);
    if (state !== undefined) state.reason ??= 'receive_maximum_exceeded';
    this.client.disconnect({ reasonCode: RECEIVE_MAXIMUM_EXCEEDED });
    return false;
  }

  /** PUBREL: that QoS 2 message leaves the count (aedes answers PUBCOMP). */
  released(messageId: number | undefined): void {
    if (messageId !== undefined) this.awaitingRelease?.delete(messageId);
  }

  /** QoS 2 awaiting PUBREL; a refused one (PUBREC >= 0x80) ends there and is forgotten when we count. */
  private awaitingReleaseCount(): number {
    const waiting = this.awaitingRelease;
    if (waiting === undefined) return 0;
    if (waiting.size > this.serverReceiveMaximum) {
      for (const [id, packet] of waiting) if (packet._notAuthorized === true) waiting.delete(id);
    }
    return waiting.size;
  }
}

export function flowOf(client: Client): FlowControl | undefined {
  return (client as FlowClient)[FLOW];
}

function noop(): void {}
