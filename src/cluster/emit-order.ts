/**
 * Keeps a node's messages leaving for Redis in the order aedes numbered them.
 *
 * aedes numbers each message it publishes (`brokerCounter`) and every receiving client drops a
 * message whose number is not above the last one it got from that node (its guard against a
 * second copy through overlapping subscriptions). A QoS 1/2 message first goes to the offline
 * queues of persistent sessions (Redis round trips), so a later QoS 0 message from another client
 * could reach Redis first, and subscribers everywhere would then drop the earlier one as a
 * "duplicate". Here a node's message waits until every message numbered before it was emitted
 * or finished without being emitted. In memory (one node) the gap is a microtask, so the single
 * node does not use this.
 */
type Done = (error?: Error | null) => void;
interface Numbered {
  brokerId?: string;
  brokerCounter?: number;
}
type Emit<P> = (packet: P, done?: Done) => void;

interface Held<P> {
  counter: number;
  packet: P;
  done: Done | undefined;
}

/** A publish slower than this stops holding back the messages after it. */
const MAX_WAIT_MS = 5000;

export class EmitOrder<P extends Numbered> {
  /** Numbers of publishes under way (ascending: numbers are handed out in order), with their start. */
  private readonly pending = new Map<number, number>();
  /** Messages waiting for an earlier number, sorted by number. */
  private readonly held: Array<Held<P>> = [];
  private brokerId: string | undefined;

  constructor(
    private readonly emit: Emit<P>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Wraps aedes.publish (before anything else wraps it) to learn the number of each publish. */
  track(aedes: { id: string; counter: number; publish: (packet: P, client?: unknown, done?: Done) => void }): void {
    this.brokerId = aedes.id;
    const publish = aedes.publish.bind(aedes);
    aedes.publish = (packet, client, done) => {
      if (typeof client === 'function') {
        done = client as Done;
        client = null;
      }
      // aedes keeps a number the packet already has; otherwise the Packet it builds takes the next.
      if (packet.brokerCounter) return publish(packet, client, done);
      const counter = aedes.counter + 1;
      this.pending.set(counter, this.now());
      publish(packet, client, (error) => {
        this.finished(counter);
        done?.(error);
      });
    };
  }

  /** The emitter's emit, in order. */
  send(packet: P, done?: Done): void {
    const counter = packet.brokerCounter;
    if (packet.brokerId !== this.brokerId || counter === undefined || this.pending.size === 0) {
      this.emit(packet, done);
      return;
    }
    this.pending.delete(counter);
    const oldest = this.oldestPending();
    if (oldest === undefined || oldest >= counter) {
      this.emit(packet, done);
      this.flush();
      return;
    }
    let at = this.held.length;
    while (at > 0 && this.held[at - 1]!.counter > counter) at--;
    this.held.splice(at, 0, { counter, packet, done });
  }

  /** Messages held back right now (for tests). */
  get waiting(): number {
    return this.held.length;
  }

  private finished(counter: number): void {
    if (this.pending.delete(counter)) this.flush();
  }

  private oldestPending(): number | undefined {
    const now = this.now();
    for (const [counter, since] of this.pending) {
      if (now - since <= MAX_WAIT_MS) return counter;
      this.pending.delete(counter);
    }
    return undefined;
  }

  private flush(): void {
    while (this.held.length > 0) {
      const next = this.held[0]!;
      const oldest = this.oldestPending();
      if (oldest !== undefined && oldest < next.counter) return;
      this.held.shift();
      this.emit(next.packet, next.done);
    }
  }
}
