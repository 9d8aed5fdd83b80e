import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import mqtt from 'mqtt-packet';
import { MemorySessionRecords, markSessionPresent } from '../../src/broker/session-present.js';

function decode(bytes: Buffer, protocolVersion: 4 | 5): mqtt.IConnackPacket {
  const parser = mqtt.parser({ protocolVersion });
  let packet: mqtt.IConnackPacket | undefined;
  parser.on('packet', (p) => {
    packet = p as mqtt.IConnackPacket;
  });
  parser.parse(bytes);
  assert.ok(packet, 'CONNACK decodes');
  return packet;
}

test('markSessionPresent sets only the Session Present bit of a success CONNACK, 3.1.1 and 5, any property size', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<4 | 5>(4, 5),
      fc.boolean(),
      fc.constantFrom(0, 0, 0x80, 0x87, 5),
      // Long enough to need a 2-byte remaining length sometimes.
      fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
      (version, present, code, reasonString) => {
        const returnCode = version === 4 ? Math.min(code, 5) : code;
        const packet: mqtt.IConnackPacket = {
          cmd: 'connack',
          sessionPresent: present,
          ...(version === 5 ? { reasonCode: returnCode, properties: { receiveMaximum: 7, ...(reasonString !== undefined ? { reasonString } : {}) } } : { returnCode }),
        };
        const bytes = mqtt.generate(packet, { protocolVersion: version });
        const marked = decode(markSessionPresent(bytes), version);
        const original = decode(bytes, version);
        const success = (version === 5 ? original.reasonCode : original.returnCode) === 0;
        assert.equal(marked.sessionPresent, success ? true : present);
        assert.deepEqual({ ...marked, sessionPresent: original.sessionPresent }, { ...original });
      },
    ),
  );
});

test('MemorySessionRecords: kept until its expiry, forgotten on demand', async () => {
  const records = new MemorySessionRecords();
  await records.keep('a', Infinity);
  await records.keep('b', Date.now() - 1);
  await records.keep('c', Date.now() + 60_000);
  assert.equal(await records.exists('a'), true);
  assert.equal(await records.exists('b'), false);
  assert.equal(await records.exists('c'), true);
  await records.forget('a');
  assert.equal(await records.exists('a'), false);
  assert.equal(await records.exists('never'), false);
});
