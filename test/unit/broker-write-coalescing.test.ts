import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { pino } from 'pino';
import WebSocket from 'ws';
import { startWsListener } from '../../src/broker/listeners/ws.js';
import { coalesceWrites } from '../../src/broker/write-coalescing.js';

/** A connected pair: `server` is the accepted socket (coalesced), `client` the peer, `received` what it read. */
async function pair(): Promise<{ server: Socket; client: Socket; received: () => Buffer; closed: Promise<unknown>; stop: () => Promise<void> }> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection');
  const client = connect((listener.address() as AddressInfo).port, '127.0.0.1');
  const chunks: Buffer[] = [];
  client.on('data', (c: Buffer) => chunks.push(c));
  const closed = once(client, 'close');
  const [server] = (await accepted) as [Socket];
  coalesceWrites(server);
  return {
    server,
    client,
    received: () => Buffer.concat(chunks),
    closed,
    async stop() {
      client.destroy();
      server.destroy();
      listener.close();
      await once(listener, 'close');
    },
  };
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('writes of one turn are held together and released by the next immediate, in order', async () => {
  const p = await pair();
  try {
    assert.equal(p.server.writableCorked, 0);
    for (let i = 0; i < 50; i++) p.server.write(Buffer.from([i]));
    // Held: the socket is corked until the flush immediate queued by the first write.
    assert.equal(p.server.writableCorked, 1);
    assert.equal(p.server.writableLength, 50);
    await immediate();
    assert.equal(p.server.writableCorked, 0);
    p.server.end();
    await p.closed;
    assert.deepEqual([...p.received()], Array.from({ length: 50 }, (_, i) => i));
  } finally {
    await p.stop();
  }
});

test('writes from many immediates (as aedes delivers) all arrive, in order, with their callbacks', async () => {
  const p = await pair();
  try {
    let callbacks = 0;
    const expected: number[] = [];
    for (let i = 0; i < 300; i++) {
      expected.push(i % 256);
      setImmediate(() => p.server.write(Buffer.from([i % 256]), () => callbacks++));
    }
    await immediate();
    await immediate();
    await new Promise<void>((resolve) => p.server.end(resolve));
    await p.closed;
    assert.deepEqual([...p.received()], expected);
    assert.equal(callbacks, 300);
  } finally {
    await p.stop();
  }
});

test('a destroy right after a write still sends what was written (a DISCONNECT must not be lost)', async () => {
  const p = await pair();
  try {
    p.server.write(Buffer.from('last words'));
    assert.equal(p.server.writableCorked, 1);
    p.server.destroy();
    await p.closed;
    assert.equal(p.received().toString(), 'last words');
    // Writing to the destroyed socket neither corks nor throws out of write (the stream reports it).
    p.server.on('error', () => {});
    p.server.write(Buffer.from('x'), () => {});
    assert.equal(p.server.writableCorked, 0);
  } finally {
    await p.stop();
  }
});

test('backpressure still shows: a held write above the high-water mark returns false, then drain follows', async () => {
  const p = await pair();
  try {
    const big = Buffer.alloc(p.server.writableHighWaterMark + 1, 7);
    assert.equal(p.server.write(big), false);
    await once(p.server, 'drain');
    assert.equal(p.server.writableCorked, 0);
    p.server.end();
    await p.closed;
    assert.equal(p.received().length, big.length);
  } finally {
    await p.stop();
  }
});

test('over WebSocket, the writes of one turn leave as one binary frame, in order, with their callbacks', async () => {
  let callbacks = 0;
  const listener = await startWsListener(
    'ws',
    { enable: true, bind: '127.0.0.1', port: 0, path: '/mqtt' },
    false,
    (conn) => {
      // As the broker does: coalesced, then packets written in pieces (mqtt-packet's way).
      coalesceWrites(conn);
      for (let i = 0; i < 12; i++) conn.write(Buffer.from([i]), () => callbacks++);
      setImmediate(() => conn.write(Buffer.from('next turn'), () => callbacks++));
    },
    { add: () => {} },
    pino({ level: 'silent' }),
  );
  const client = new WebSocket(`ws://127.0.0.1:${listener.bound.port}/mqtt`, 'mqtt');
  try {
    const frames: Buffer[] = [];
    const both = new Promise<void>((resolve) =>
      client.on('message', (data: Buffer) => {
        frames.push(data);
        if (frames.length === 2) resolve();
      }),
    );
    await both;
    assert.deepEqual([...frames[0]!], Array.from({ length: 12 }, (_, i) => i));
    assert.equal(frames[1]!.toString(), 'next turn');
    await immediate();
    assert.equal(callbacks, 13);
  } finally {
    client.terminate();
    await listener.close();
  }
});
