import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import mqtt from 'mqtt-packet';
import { extendNextConnack, wireLength } from '../../src/broker/enhanced-auth-connack.js';

function parse(bytes: Buffer): mqtt.Packet[] {
  const parser = mqtt.parser({ protocolVersion: 5 });
  const out: mqtt.Packet[] = [];
  parser.on('packet', (p) => out.push(p));
  parser.parse(bytes);
  return out;
}

function capture(): { conn: PassThrough; bytes: () => Buffer } {
  const conn = new PassThrough();
  const chunks: Buffer[] = [];
  conn.on('data', (c: Buffer) => chunks.push(c));
  return { conn, bytes: () => Buffer.concat(chunks) };
}

test('wireLength: the full size of generated packets; -1 while the length is incomplete', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 20000 }), (payload) => {
      const bytes = mqtt.generate({ cmd: 'publish', topic: 't', payload: Buffer.from(payload), qos: 0, retain: false, dup: false }, { protocolVersion: 4 });
      assert.equal(wireLength(bytes), bytes.length);
      assert.equal(wireLength(bytes.subarray(0, 1)), -1);
    }),
    { numRuns: 50 },
  );
});

test('extendNextConnack: adds the auth properties to a success CONNACK written in pieces, once', async () => {
  const { conn, bytes } = capture();
  extendNextConnack(conn, { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from('v=abc') });
  // mqtt-packet writes a CONNACK in several chunks: the same path aedes takes.
  mqtt.writeToStream({ cmd: 'connack', reasonCode: 0, sessionPresent: false, properties: { topicAliasMaximum: 10 } }, conn, { protocolVersion: 5 });
  mqtt.writeToStream({ cmd: 'pingresp' }, conn, { protocolVersion: 5 });
  await new Promise((r) => setImmediate(r));
  const packets = parse(bytes()) as Array<{ cmd: string; properties?: Record<string, unknown> }>;
  assert.deepEqual(packets.map((p) => p.cmd), ['connack', 'pingresp']);
  assert.equal(packets[0]!.properties?.authenticationMethod, 'SCRAM-SHA-1');
  assert.equal(String(packets[0]!.properties?.authenticationData), 'v=abc');
  assert.equal(packets[0]!.properties?.topicAliasMaximum, 10, 'aedes properties kept');
  assert.equal(Object.prototype.hasOwnProperty.call(conn, 'write'), false, 'write restored');
});

test('extendNextConnack: a refusal CONNACK passes unchanged', async () => {
  const { conn, bytes } = capture();
  extendNextConnack(conn, { authenticationMethod: 'X' });
  mqtt.writeToStream({ cmd: 'connack', reasonCode: 0x87, sessionPresent: false }, conn, { protocolVersion: 5 });
  await new Promise((r) => setImmediate(r));
  const [connack] = parse(bytes()) as Array<{ reasonCode: number; properties?: Record<string, unknown> }>;
  assert.equal(connack!.reasonCode, 0x87);
  assert.equal(connack!.properties?.authenticationMethod, undefined);
});
