/**
 * The offline queue replay held to the client's Receive Maximum (MQTT 5 §4.9).
 *
 * On reconnect of a persistent session aedes streams `persistence.outgoingStream(client)` and, one
 * message at a time, calls `persistence.outgoingUpdate`, then `authorizeForward`, then writes the
 * message straight to the socket, bypassing `deliverQoS` (so flow-control.ts never sees it). We pace
 * it from the outside, still through aedes' persistence interface:
 * - the stream is tagged: each message it yields is remembered by origin and counter;
 * - `outgoingUpdate` of a remembered message waits for a free slot in the client's window (and
 *   takes it) before going on, so aedes writes nothing more until an acknowledgement arrives;
 * - an outermost `authorizeForward` sees whether aedes then drops it (refused, expired) and gives
 *   the slot back.
 * Live deliveries wait behind the replay, so queued messages are delivered first.
 */
import type { Aedes, Client } from 'aedes';
import { Transform, pipeline, type Readable } from 'node:stream';
import { flowOf, type FlowControl } from './flow-control.js';

interface ReplayedMessage {
  cmd?: string;
  brokerId?: string;
  brokerCounter?: number;
  messageExpiry?: number;
}
type ReplayClient = Client & { clean?: boolean; _cleanStart?: boolean; closed?: boolean };
interface ReplayPersistence {
  outgoingStream(client: Client): Readable;
  outgoingUpdate(client: Client, packet: ReplayedMessage): Promise<unknown>;
}
type ForwardFn = (client: Client, packet: ReplayedMessage) => unknown;

/** One client's replay in progress. */
class Replay {
  /** Messages yielded by the stream and not yet handed to outgoingUpdate, by origin:counter. */
  private readonly expected = new Map<string, number>();
  private sourceDone = false;
  private busy = false;
  constructor(
    readonly flow: FlowControl,
    private readonly finished: () => void,
  ) {}

  expect(message: ReplayedMessage): void {
    const key = keyOf(message);
    this.expected.set(key, (this.expected.get(key) ?? 0) + 1);
  }

  /** True (and forgotten) when this message is one the replay stream yielded. */
  claim(message: ReplayedMessage): boolean {
    const key = keyOf(message);
    const count = this.expected.get(key);
    if (count === undefined) return false;
    if (count > 1) this.expected.set(key, count - 1);
    else this.expected.delete(key);
    this.busy = true;
    return true;
  }

  stepDone(): void {
    this.busy = false;
    this.finishIfDone();
  }

  sourceEnded(): void {
    this.sourceDone = true;
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (this.sourceDone && !this.busy && this.expected.size === 0) this.finished();
  }
}

function keyOf(message: ReplayedMessage): string {
  return `${message.brokerId ?? ''}:${message.brokerCounter ?? 0}`;
}

export function paceOfflineReplay(aedes: Aedes): void {
  const broker = aedes as unknown as { id: string; counter: number; persistence: ReplayPersistence; authorizeForward: ForwardFn };
  const persistence = broker.persistence;
  const stream = persistence.outgoingStream.bind(persistence);
  const update = persistence.outgoingUpdate.bind(persistence);
  const replays = new WeakMap<Client, Replay>();
  // Replayed messages that took a slot, until authorizeForward says whether aedes writes them.
  const awaitingVerdict = new WeakMap<ReplayedMessage, FlowControl>();

  persistence.outgoingStream = (client) => {
    const source = stream(client);
    const c = client as ReplayClient;
    // Only a live persistent session delivers what it replays (aedes drops the rest).
    if (c.closed === true || c.clean !== false || c._cleanStart === true || replays.has(client)) return source;
    const flow = flowOf(client);
    if (flow === undefined || !flow.startReplay()) return source;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      replays.delete(client);
      flow.endReplay();
    };
    const replay = new Replay(flow, end);
    replays.set(client, replay);
    client.conn.once('close', end);
    const tagged = new Transform({
      objectMode: true,
      transform(message: ReplayedMessage, _encoding, done) {
        // aedes gives a message without them a fresh counter when it wraps it: give it now, so it is recognised.
        if (message.brokerId === undefined) message.brokerId = broker.id;
        if (message.brokerCounter === undefined) message.brokerCounter = ++broker.counter;
        replay.expect(message);
        done(null, message);
      },
      flush(done) {
        replay.sourceEnded();
        done();
      },
    });
    // A failed or abandoned replay must not leave live deliveries held.
    return pipeline(source, tagged, (error) => {
      if (error) end();
    });
  };

  persistence.outgoingUpdate = async (client, packet) => {
    const replay = replays.get(client);
    if (replay === undefined || !replay.claim(packet)) return update(client, packet);
    await replay.flow.replaySlot();
    const c = client as ReplayClient;
    if (packet.cmd === 'publish') awaitingVerdict.set(packet, replay.flow);
    try {
      const result = await update(client, packet);
      // A PUBREL is written unless the session is clean (no authorizeForward for it).
      if (packet.cmd !== 'publish' && (c.clean !== false || c._cleanStart === true)) replay.flow.replayNotWritten();
      return result;
    } catch (error) {
      // aedes writes nothing after a failed update.
      awaitingVerdict.delete(packet);
      replay.flow.replayNotWritten();
      throw error;
    } finally {
      replay.stepDone();
    }
  };

  const inner = broker.authorizeForward;
  broker.authorizeForward = function replayAwareForward(this: unknown, client, packet) {
    const result = inner.call(this, client, packet);
    const flow = awaitingVerdict.get(packet);
    if (flow === undefined) return result;
    awaitingVerdict.delete(packet);
    const c = client as ReplayClient;
    // aedes checks expiry right after this call: decide it here, so both agree.
    const expiry = packet.messageExpiry;
    const expired = expiry !== undefined && expiry <= Date.now() + 1;
    if (expired) packet.messageExpiry = 0;
    if (!result || expired || c.clean !== false || c._cleanStart === true) flow.replayNotWritten();
    return result;
  };
}
