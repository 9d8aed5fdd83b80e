/**
 * `npm run bench -- --only websocket [--messages 100000]`
 *
 * MQTT over WebSocket through the broker layer (modmq-bare, in process, pinned by the caller if
 * wanted): one publisher sends QoS 0 16 B messages in batches of 100 per frame, one subscriber
 * counts the WebSocket frames and bytes it gets. Prints frames per message (the broker sends a
 * turn's packets as one frame: ws.ts, write-coalescing.ts) and messages/s. Figures only.
 */
import { parseArgs } from 'node:util';
import mqttPacket from 'mqtt-packet';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { createBroker } from '../src/broker/broker.js';
import { DEFAULT_SETTINGS } from '../src/store/cluster-document.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '100000' } } });
const total = Number(values.messages);
if (!Number.isInteger(total) || total < 100) {
  console.error(`--messages must be a whole number >= 100, got ${values.messages}`);
  process.exit(2);
}
const BATCH = 100;

const broker = await createBroker({ nodeName: 'bench-ws', log: pino({ level: 'silent' }), metrics: new Registry(), settings: structuredClone(DEFAULT_SETTINGS) });
const off = { enable: false, bind: '127.0.0.1', port: 0 };
const bound = await broker.listen({ tcp: off, tls: off, ws: { enable: true, bind: '127.0.0.1', port: 0, path: '/mqtt' }, wss: { ...off, path: '/mqtt' } });
const port = bound.find((l) => l.kind === 'ws')!.port;

async function open(clientId: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, 'mqtt');
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive: 60 }));
  await new Promise((resolve) => ws.once('message', resolve));
  return ws;
}

const subscriber = await open('bench-ws-sub');
subscriber.send(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bench/ws', qos: 0 }] }));
await new Promise((resolve) => subscriber.once('message', resolve));
const publisher = await open('bench-ws-pub');

const one = mqttPacket.generate({ cmd: 'publish', topic: 'bench/ws', payload: Buffer.alloc(16), qos: 0, retain: false, dup: false });
const batch = Buffer.concat(Array.from({ length: BATCH }, () => one));
let frames = 0;
let bytes = 0;
const received = new Promise<void>((resolve) =>
  subscriber.on('message', (data: Buffer) => {
    frames++;
    bytes += data.length;
    if (bytes >= total * one.length) resolve();
  }),
);
const start = performance.now();
for (let sent = 0; sent < total; sent += BATCH) {
  publisher.send(batch);
  // Let the broker run now and then, as a real publisher's socket would.
  if (sent % (50 * BATCH) === 0) await new Promise((resolve) => setImmediate(resolve));
}
await received;
const seconds = (performance.now() - start) / 1000;
console.log(`node ${process.version}; ${total.toLocaleString('en-US')} QoS 0 messages of 16 B over WebSocket, in frames of ${BATCH}`);
console.log(`subscriber got ${frames.toLocaleString('en-US')} frames: ${(frames / total).toFixed(3)} per message; ${Math.round(total / seconds).toLocaleString('en-US')} messages/s (broker and clients share one process)`);
publisher.close();
subscriber.close();
await broker.close();
