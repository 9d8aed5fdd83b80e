import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { BrokerMetrics } from '../../src/broker/broker-metrics.js';

const source = { connections: () => 2, subscriptions: () => 3, bytesRead: () => 10, bytesWritten: () => 20 };

test('per-QoS counts are plain numbers on the hot path and every series is scraped', async () => {
  const registry = new Registry();
  const metrics = new BrokerMetrics(registry, source);
  const before = await registry.metrics();
  for (const qos of ['0', '1', '2']) {
    assert.match(before, new RegExp(`modmq_messages_received_total\\{qos="${qos}"\\} 0\\n`));
    assert.match(before, new RegExp(`modmq_messages_sent_total\\{qos="${qos}"\\} 0\\n`));
  }
  metrics.received.add(1);
  metrics.received.add(1);
  metrics.sent.add(2);
  metrics.received.add(7); // not a QoS: ignored
  const after = await registry.metrics();
  assert.match(after, /modmq_messages_received_total\{qos="1"\} 2\n/);
  assert.match(after, /modmq_messages_sent_total\{qos="2"\} 1\n/);
  assert.match(after, /modmq_messages_received_total\{qos="0"\} 0\n/);
  // Scraping twice reports the same totals (collect resets before refilling).
  assert.equal(await registry.metrics(), after);
  assert.match(after, /modmq_connections 2\n/);
  assert.match(after, /modmq_bytes_sent_total 20\n/);
});
