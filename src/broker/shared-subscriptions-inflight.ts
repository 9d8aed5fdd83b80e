/**
 * QoS 1/2 messages a shared-subscription member has been sent but not acknowledged yet, so that
 * a member whose connection closes hands them back to its group [4.8.2: "SHOULD send the
 * Application Message to another Client ... MAY attempt to send ... as soon as it loses its
 * connection"] instead of losing them. An UNSUBSCRIBE keeps them with the member: the spec lets
 * it complete deliveries it has started [MQTT-3.10.4-3].
 *
 * Tracking works per connection, on this node: the group's router marks the delivery it is making
 * ({@link SharedInflight.dispatch}); the member's deliverQoS (wrapped once per connection) gives
 * the marked message its packet identifier from the client's own counter, so the PUBACK (QoS 1) or
 * PUBREC (QoS 2: the client owns the message from then on) can be matched. aedes keeps an
 * identifier it finds on the message. A persistent member also gets the message in its session's
 * queue first, as aedes does for normal subscriptions (aedes refused to deliver it otherwise).
 */
import type { Client } from 'aedes';

type Done = (error?: Error | null) => void;
export interface SharedDeliveredPacket {
  topic: string;
  qos?: number;
  clientId?: string;
  messageId?: number;
  messageExpiry?: number;
  brokerId?: string | undefined;
  brokerCounter?: number;
  properties?: Record<string, unknown>;
}
type Deliver = (packet: SharedDeliveredPacket, cb: Done) => void;
type TrackedClient = Client & { deliverQoS: Deliver; _nextId: number; clean: boolean };
interface QueuePersistence {
  outgoingEnqueue(sub: { clientId: string }, packet: SharedDeliveredPacket): Promise<void>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId: number }): Promise<unknown>;
}

interface Unacked {
  groupKey: string;
  /** The message as the group's router got it (before the member's copy). */
  message: SharedDeliveredPacket;
}

export class SharedInflight {
  private marked: Unacked | undefined;
  /** client id -> packet identifier -> message. */
  private readonly unacked = new Map<string, Map<number, Unacked>>();

  constructor(private readonly persistence: QueuePersistence) {}

  /** Delivers `message` to a member's subscription function with the marker set (synchronous). */
  dispatch(groupKey: string, message: SharedDeliveredPacket, deliver: Deliver, cb: Done): void {
    const previous = this.marked;
    this.marked = { groupKey, message };
    try {
      deliver(message, cb);
    } finally {
      this.marked = previous;
    }
  }

  /** Wraps the client's deliverQoS (call right after aedes created the client). */
  track(client: Client): void {
    const c = client as TrackedClient;
    const deliverQoS = c.deliverQoS;
    if (typeof deliverQoS !== 'function') return;
    c.deliverQoS = (packet, cb) => {
      const marked = this.marked;
      if (marked === undefined || (packet.qos ?? 0) === 0) {
        deliverQoS(packet, cb);
        return;
      }
      const messageId = c._nextId;
      c._nextId = messageId >= 65535 ? 1 : messageId + 1;
      packet.messageId = messageId;
      let mine = this.unacked.get(c.id);
      if (mine === undefined) this.unacked.set(c.id, (mine = new Map()));
      mine.set(messageId, marked);
      if (c.clean) {
        deliverQoS(packet, cb);
        return;
      }
      this.persistence.outgoingEnqueue({ clientId: c.id }, packet).then(
        () => deliverQoS(packet, cb),
        (error: unknown) => cb(error instanceof Error ? error : new Error(String(error))),
      );
    };
  }

  /** A PUBACK or PUBREC from `clientId`. */
  acknowledged(clientId: string, messageId: number | undefined): void {
    if (messageId === undefined) return;
    const mine = this.unacked.get(clientId);
    if (mine === undefined || !mine.delete(messageId)) return;
    if (mine.size === 0) this.unacked.delete(clientId);
  }

  /**
   * The unacknowledged messages of a member leaving `groupKey` with its connection, oldest first,
   * dropped from its session queue so a later reconnect does not get them too. Entries of groups
   * the member is no longer in (`stillMember` false) are forgotten.
   */
  takeUnacked(clientId: string, groupKey: string, stillMember: (groupKey: string) => boolean): SharedDeliveredPacket[] {
    const mine = this.unacked.get(clientId);
    if (mine === undefined) return [];
    const taken: SharedDeliveredPacket[] = [];
    for (const [messageId, entry] of mine) {
      if (entry.groupKey === groupKey) {
        taken.push(entry.message);
        mine.delete(messageId);
        this.persistence.outgoingClearMessageId({ id: clientId }, { messageId }).catch(() => undefined);
      } else if (!stillMember(entry.groupKey)) {
        mine.delete(messageId);
      }
    }
    if (mine.size === 0) this.unacked.delete(clientId);
    return taken;
  }
}
