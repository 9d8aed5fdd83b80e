import type { Duplex } from 'node:stream';

/**
 * Coalesces a client connection's writes (TCP or TLS socket, WebSocket stream) per event-loop turn.
 * aedes writes every delivery from its own setImmediate callback, and mqtt-packet uncorks in
 * process.nextTick, so each delivery (and each PUBACK) became its own writev syscall, or its own
 * WebSocket frames. Here the first write of a turn corks the stream and one shared setImmediate
 * uncorks every held stream: the deliveries of that turn leave in one writev (one frame over
 * WebSocket: ws.ts).
 *
 * The flush runs at the loop's next check phase: a write from an I/O callback leaves at the end of
 * that same iteration, one from an immediate (aedes' deliveries) after the next poll, which does not
 * block while an immediate is pending. So at a low rate nothing waits for more traffic. A destroy
 * flushes first, so a DISCONNECT or CONNACK written just before it is not lost; end() flushes itself.
 */

/** The uncork functions of the sockets corked this turn. */
const held: Array<() => void> = [];
let flushScheduled = false;

function flushHeld(): void {
  flushScheduled = false;
  // An uncork may run write callbacks that write again: those hold anew for the next turn.
  const count = held.length;
  for (let i = 0; i < count; i++) held[i]!();
  if (held.length === count) held.length = 0;
  else held.splice(0, count);
}

export function coalesceWrites(socket: Duplex): void {
  const write = socket.write;
  const destroy = socket.destroy;
  let corked = false;
  const uncork = (): void => {
    if (!corked) return;
    corked = false;
    socket.uncork();
  };
  socket.write = function coalescedWrite(this: Duplex, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      held.push(uncork);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushHeld);
      }
    }
    return (write as (c: unknown, e?: unknown, cb?: unknown) => boolean).call(this, chunk, encoding, cb);
  } as Duplex['write'];
  socket.destroy = function flushThenDestroy(this: Duplex, error?: Error): Duplex {
    uncork();
    return destroy.call(this, error);
  };
}
