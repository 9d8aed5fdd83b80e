import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startHarness, subscribeGranted } from '../helpers/mqtt-harness.js';
import { mosquitto } from '../helpers/mqtt5.js';

// SUBACK reason codes per filter [3.9.3]: a filter refused by the ACL gets 0x87 (v5) / 0x80 (3.1.1).
// (mqtt-acl.test.ts covers the basic case; this adds shared filters, QoS grants and mosquitto.)
describe('SUBACK reason codes per filter', () => {
  const denySecret = (h: Awaited<ReturnType<typeof startHarness>>): void => {
    h.broker.hooks.scope('acl').authorize((_c, action, topic) => (action === 'subscribe' && topic.startsWith('secret') ? { result: 'deny' } : { result: 'ignore' }));
  };

  test('v5: one SUBSCRIBE, mixed filters: granted QoS for each allowed one, 0x87 for each refused one', async () => {
    const h = await startHarness();
    try {
      denySecret(h);
      const c = await h.connect({ protocolVersion: 5 });
      const granted = await subscribeGranted(c, {
        'open/a': { qos: 2 },
        'secret/a': { qos: 1 },
        '$share/g/secret/b': { qos: 1 },
        '$share/g/open/b': { qos: 1 },
        'open/c': { qos: 0 },
      });
      assert.deepEqual(granted, { 'open/a': 2, 'secret/a': 0x87, '$share/g/secret/b': 0x87, '$share/g/open/b': 1, 'open/c': 0 });
    } finally {
      await h.close();
    }
  });

  test('3.1.1: the same SUBSCRIBE gets 0x80 for the refused filters', async () => {
    const h = await startHarness();
    try {
      denySecret(h);
      const c = await h.connect({ protocolVersion: 4 });
      const granted = await subscribeGranted(c, { 'open/a': { qos: 1 }, 'secret/a': { qos: 1 }, '$queue/secret/q': { qos: 2 }, 'open/b': { qos: 2 } });
      assert.deepEqual(granted, { 'open/a': 1, 'secret/a': 0x80, '$queue/secret/q': 0x80, 'open/b': 2 });
    } finally {
      await h.close();
    }
  });

  test('mosquitto_sub -V mqttv5 is told its only filter was denied', async () => {
    const h = await startHarness();
    try {
      denySecret(h);
      const run = mosquitto('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(h.port()), '-V', 'mqttv5', '-t', 'secret/x', '-E', '-d']);
      const out = await run.done.catch((error: Error) => error.message);
      // mosquitto_sub -d prints the SUBACK's codes: 0x87 = 135.
      assert.match(out, /received SUBACK/);
      assert.match(out, /Subscribed \(mid: 1\): 135$/m);
    } finally {
      await h.close();
    }
  });
});
