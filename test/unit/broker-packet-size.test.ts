import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import mqtt from 'mqtt-packet';
import { publishWireSize } from '../../src/broker/packet-size.js';

const text = fc.string({ maxLength: 40, unit: 'grapheme' });
const properties = fc.record(
  {
    payloadFormatIndicator: fc.boolean(),
    messageExpiryInterval: fc.integer({ min: 0, max: 0xffffffff }),
    topicAlias: fc.integer({ min: 1, max: 65535 }),
    responseTopic: text.filter((t) => t.length > 0),
    contentType: text,
    correlationData: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    subscriptionIdentifier: fc.oneof(
      fc.integer({ min: 1, max: 268_435_455 }),
      fc.array(fc.integer({ min: 1, max: 268_435_455 }), { minLength: 1, maxLength: 3 }),
    ),
    userProperties: fc.dictionary(
      text.filter((t) => t.length > 0),
      fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 3 })),
      { minKeys: 1, maxKeys: 4 },
    ),
  },
  { requiredKeys: [] },
);

describe('publishWireSize', () => {
  test('equals the length mqtt-packet encodes, for any v5 PUBLISH', () => {
    fc.assert(
      fc.property(
        text.filter((t) => t.length > 0),
        fc.uint8Array({ maxLength: 20_000 }),
        fc.constantFrom(0, 1, 2),
        properties,
        (topic, payload, qos, props) => {
          const packet = { cmd: 'publish' as const, topic, payload: Buffer.from(payload), qos: qos as 0 | 1 | 2, dup: false, retain: false, messageId: qos > 0 ? 7 : undefined, properties: props };
          const encoded = mqtt.generate(packet as mqtt.IPublishPacket, { protocolVersion: 5 });
          assert.equal(publishWireSize(packet), encoded.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('a string payload counts its UTF-8 bytes', () => {
    const packet = { cmd: 'publish' as const, topic: 't', payload: 'héllo', qos: 0 as const, dup: false, retain: false };
    assert.equal(publishWireSize(packet), mqtt.generate(packet, { protocolVersion: 5 }).length);
  });
});
