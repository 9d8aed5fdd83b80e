import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, nextMessages, startHarness, waitFor } from '../helpers/mqtt-harness.js';

for (const protocolVersion of [4, 5] as const) {
  describe(`MQTT.js v${protocolVersion} over tcp`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ retained: true });
    });
    after(async () => {
      await h.close();
    });

    for (const qos of [0, 1, 2] as const) {
      test(`QoS ${qos} round trip`, async () => {
        const sub = await h.connect({ protocolVersion, clientId: `sub-q${qos}-v${protocolVersion}` });
        const pub = await h.connect({ protocolVersion, clientId: `pub-q${qos}-v${protocolVersion}` });
        await sub.subscribeAsync(`rt/${qos}`, { qos });
        const got = nextMessages(sub);
        await pub.publishAsync(`rt/${qos}`, `hello ${qos}`, { qos });
        const [m] = await got;
        assert.equal(m!.topic, `rt/${qos}`);
        assert.equal(m!.payload, `hello ${qos}`);
        assert.equal(m!.qos, qos);
      });
    }

    test('retained message reaches a later subscriber', async () => {
      const pub = await h.connect({ protocolVersion });
      await pub.publishAsync(`retained/v${protocolVersion}`, 'kept', { qos: 1, retain: true });
      const sub = await h.connect({ protocolVersion });
      const got = nextMessages(sub);
      await sub.subscribeAsync(`retained/+`, { qos: 1 });
      const [m] = await got;
      assert.equal(m!.payload, 'kept');
      assert.equal(m!.retain, true);
    });

    test('will message is published on abrupt close', async () => {
      const watcher = await h.connect({ protocolVersion });
      await watcher.subscribeAsync(`will/v${protocolVersion}`, { qos: 1 });
      const got = nextMessages(watcher);
      const dying = await h.connect({
        protocolVersion,
        clientId: `dying-v${protocolVersion}`,
        will: { topic: `will/v${protocolVersion}`, payload: Buffer.from('gone'), qos: 1, retain: false },
      });
      // Destroy the socket without DISCONNECT.
      (dying as unknown as { stream: { destroy(): void } }).stream.destroy();
      const [m] = await got;
      assert.equal(m!.payload, 'gone');
    });

    test('persistent session receives QoS 1 messages queued while offline', async () => {
      const clientId = `persistent-v${protocolVersion}`;
      const sessionOpts = protocolVersion === 5 ? { properties: { sessionExpiryInterval: 300 } } : {};
      const first = await h.connect({ protocolVersion, clientId, clean: false, ...sessionOpts });
      await first.subscribeAsync(`offline/v${protocolVersion}`, { qos: 1 });
      await first.endAsync();
      const pub = await h.connect({ protocolVersion });
      await pub.publishAsync(`offline/v${protocolVersion}`, 'while away', { qos: 1 });
      const again = h.open({ protocolVersion, clientId, clean: false, ...sessionOpts });
      const got = nextMessages(again);
      const [m] = await got;
      assert.equal(m!.payload, 'while away');
      assert.equal(m!.qos, 1);
    });

    test('metrics count connections and messages', async () => {
      const c = await h.connect({ protocolVersion });
      await c.subscribeAsync('metrics/x', { qos: 1 });
      const got = nextMessages(c);
      await c.publishAsync('metrics/x', 'm', { qos: 1 });
      await got;
      await waitFor(() => h.broker.api.clients().length > 0);
      const text = await h.metrics.metrics();
      assert.match(text, /modmq_connections \d+/);
      assert.match(text, /modmq_messages_received_total\{qos="1"\} [1-9]/);
      assert.match(text, /modmq_messages_sent_total\{qos="1"\} [1-9]/);
      assert.match(text, /modmq_bytes_received_total [1-9]/);
      assert.match(text, /modmq_subscriptions [1-9]/);
    });
  });
}
