import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { type Harness, nextMessages, startHarness } from '../helpers/mqtt-harness.js';

/** Writes bytes to a fresh connection, then half-closes and waits for the broker to drop it. */
function blast(port: number, chunks: Buffer[], keepOpen = false): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.once('close', () => resolve());
    socket.once('connect', () => {
      for (const c of chunks) socket.write(c);
      if (keepOpen) setImmediate(() => socket.destroy());
      else socket.end();
    });
  });
}

const gen = (packet: object, protocolVersion = 4): Buffer =>
  mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion: protocolVersion as 4 | 5 });

async function stillWorks(h: Harness): Promise<void> {
  const c = await h.connect({ protocolVersion: 5 });
  await c.subscribeAsync('alive/t', { qos: 1 });
  const got = nextMessages(c);
  await c.publishAsync('alive/t', 'still here', { qos: 1 });
  assert.equal((await got)[0]!.payload, 'still here');
  await c.endAsync();
}

describe('broker survives hostile input on the tcp port', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (bytes) => {
        await blast(h.port(), [Buffer.from(bytes)]);
      }),
      { numRuns: 60 },
    );
    await stillWorks(h);
  });

  test('random bytes after a valid CONNECT (v4 and v5)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(4, 5), fc.uint8Array({ minLength: 1, maxLength: 256 }), async (v, bytes) => {
        const connect = gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: v, clean: true, clientId: `fuzz-${v}`, keepalive: 30 }, v);
        await blast(h.port(), [connect, Buffer.from(bytes)]);
      }),
      { numRuns: 60 },
    );
    await stillWorks(h);
  });

  test('truncated and corrupted valid packets', async () => {
    const v5 = 5;
    const packets = [
      gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: v5, clean: true, clientId: 'trunc', keepalive: 10, properties: { sessionExpiryInterval: 10 } }, v5),
      gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/+/#', qos: 2, nl: true, rap: true, rh: 1 }] }, v5),
      gen({ cmd: 'publish', topic: 'a/b/c', payload: Buffer.alloc(40, 1), qos: 2, messageId: 7, retain: true, properties: { userProperties: { k: 'v' } } }, v5),
      gen({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['a/+/#'] }, v5),
    ];
    const full = Buffer.concat(packets);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: full.length }),
        fc.array(fc.tuple(fc.nat({ max: full.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.boolean(),
        async (cut, flips, keepOpen) => {
          const bytes = Buffer.from(full.subarray(0, cut));
          for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
          await blast(h.port(), [bytes], keepOpen);
        },
      ),
      { numRuns: 80 },
    );
    await stillWorks(h);
  });

  test('hand-made garbage: bad protocol, huge remaining length, second CONNECT, wildcard publish', async () => {
    const connect4 = gen({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'g', keepalive: 10 });
    const cases: Buffer[][] = [
      [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      [Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f])],
      [Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])],
      [connect4, connect4],
      [connect4, Buffer.from([0x30, 0x05, 0x00, 0x01, 0x23, 0x61, 0x62])],
      [connect4, gen({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#/b', qos: 0 }] })],
      [connect4, gen({ cmd: 'unsubscribe', messageId: 1, unsubscriptions: [''] })],
      [Buffer.from([0xe0, 0x00])],
      [connect4, Buffer.from([0x82, 0x02, 0x00, 0x01])],
    ];
    for (const chunks of cases) await blast(h.port(), chunks);
    await stillWorks(h);
  });
});
