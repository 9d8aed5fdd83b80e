import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EmitOrder } from '../../src/cluster/emit-order.js';

type Packet = { topic: string; brokerId?: string; brokerCounter?: number };
type Done = (error?: Error | null) => void;

/** A stand-in for aedes: publish numbers the packet and hands it to `route` (which may wait). */
function fakeBroker(route: (packet: Packet, done: Done) => void) {
  const broker = {
    id: 'n1',
    counter: 0,
    publish(packet: Packet, client?: unknown, done?: Done) {
      if (typeof client === 'function') done = client as Done;
      const numbered = { ...packet, brokerId: broker.id, brokerCounter: packet.brokerCounter || ++broker.counter };
      route(numbered, done ?? (() => undefined));
    },
  };
  return broker;
}

test('a message waits for every message numbered before it, then all leave in number order', () => {
  const sent: number[] = [];
  const order = new EmitOrder<Packet>((p, done) => {
    sent.push(p.brokerCounter!);
    done?.();
  });
  const slow: Array<() => void> = [];
  const broker = fakeBroker((packet, done) => {
    // QoS 1 goes to the offline queues first (asynchronous), QoS 0 straight to the emitter.
    if (packet.topic === 'slow') slow.push(() => order.send(packet, done));
    else order.send(packet, done);
  });
  order.track(broker);
  broker.publish({ topic: 'slow' }, () => undefined);
  broker.publish({ topic: 'fast' }, () => undefined);
  broker.publish({ topic: 'fast' }, () => undefined);
  assert.deepEqual(sent, []);
  assert.equal(order.waiting, 2);
  slow.shift()!();
  assert.deepEqual(sent, [1, 2, 3]);
  assert.equal(order.waiting, 0);
});

test('a publish that ends without emitting (refused, failed) releases the messages after it', () => {
  const sent: number[] = [];
  const order = new EmitOrder<Packet>((p, done) => {
    sent.push(p.brokerCounter!);
    done?.();
  });
  let fail: Done | undefined;
  const broker = fakeBroker((packet, done) => {
    if (packet.topic === 'refused') fail = done;
    else order.send(packet, done);
  });
  order.track(broker);
  broker.publish({ topic: 'refused' }, () => undefined);
  broker.publish({ topic: 'ok' }, () => undefined);
  assert.deepEqual(sent, []);
  fail!(new Error('store failed'));
  assert.deepEqual(sent, [2]);
});

test('messages of other nodes and packets that already carry a number are never held', () => {
  const sent: string[] = [];
  const order = new EmitOrder<Packet>((p) => sent.push(p.topic));
  const broker = fakeBroker(() => undefined);
  order.track(broker);
  broker.publish({ topic: 'stuck' }, () => undefined);
  order.send({ topic: 'other-node', brokerId: 'n2', brokerCounter: 99 });
  order.send({ topic: 'no-number' });
  assert.deepEqual(sent, ['other-node', 'no-number']);
});

test('a publish stuck longer than the limit stops holding the others back', () => {
  let now = 0;
  const sent: number[] = [];
  const order = new EmitOrder<Packet>((p) => sent.push(p.brokerCounter!), () => now);
  const broker = fakeBroker((packet, done) => {
    if (packet.topic !== 'stuck') order.send(packet, done);
  });
  order.track(broker);
  broker.publish({ topic: 'stuck' }, () => undefined);
  now = 6000;
  broker.publish({ topic: 'ok' }, () => undefined);
  assert.deepEqual(sent, [2]);
});

test('property: whatever order the publishes reach the emitter, they leave in number order and none is lost', () => {
  fc.assert(
    fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 30 }), (slowness, picks) => {
      const sent: number[] = [];
      const order = new EmitOrder<Packet>((p, done) => {
        sent.push(p.brokerCounter!);
        done?.();
      });
      const waiting: Array<() => void> = [];
      const broker = fakeBroker((packet, done) => {
        if (packet.topic === 'slow') waiting.push(() => order.send(packet, done));
        else order.send(packet, done);
      });
      order.track(broker);
      for (const slow of slowness) broker.publish({ topic: slow ? 'slow' : 'fast' }, () => undefined);
      // Release the slow ones in an arbitrary order.
      for (const pick of picks) if (waiting.length > 0) waiting.splice(pick % waiting.length, 1)[0]!();
      while (waiting.length > 0) waiting.shift()!();
      assert.deepEqual(sent, slowness.map((_, i) => i + 1));
    }),
  );
});
