import assert from 'node:assert/strict';
import { test } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { recon } from '../../src/modules/recon/index.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { createTestApi } from '../helpers/api-fixtures.js';
import { moduleContext, startTcpBroker } from '../helpers/module-context.js';
import { waitFor } from '../helpers/mqtt-harness.js';

test('recon top clients on a real broker: per-client counters from real MQTT traffic', async () => {
  const { broker, url } = await startTcpBroker();
  const services = new Map<string, unknown>();
  let instance: ModuleInstance | undefined;
  const clients: MqttClient[] = [];
  const api = await createTestApi({ broker: broker.api, services: { get: <T>(name: string) => services.get(name) as T | undefined } });
  try {
    instance = await recon.create(
      { ...moduleContext(broker, 'recon'), expose: (name, s) => (services.set(name, s), () => services.delete(name)) },
      { runtime_stats: true, top_clients: true, cpu_profile: true, heap_snapshot: false, max_profile_duration: '5s', rate_limit: { requests: 50, interval: '1m' } },
    );
    const sub = await mqtt.connectAsync(url, { clientId: 'busy-sub', protocolVersion: 5, reconnectPeriod: 0 });
    const pub = await mqtt.connectAsync(url, { clientId: 'busy-pub', protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(sub, pub);
    await sub.subscribeAsync('load/#', { qos: 1 });
    let got = 0;
    sub.on('message', () => got++);
    for (let i = 0; i < 20; i++) await pub.publishAsync(`load/${i}`, 'x', { qos: 1 });
    await waitFor(() => got === 20, 'all delivered');

    const res = await api.call({ method: 'GET', url: '/api/v1/recon/top-clients?by=rate&limit=10' });
    assert.equal(res.statusCode, 200);
    const body = res.json() as { counters: boolean; clients: Array<{ clientid: string; received: number; sent: number; inflight: number; rate: number }> };
    assert.equal(body.counters, true);
    const byId = Object.fromEntries(body.clients.map((c) => [c.clientid, c]));
    assert.equal(byId['busy-pub']!.received, 20);
    assert.equal(byId['busy-sub']!.sent, 20);
    // MQTT.js acknowledged every QoS 1 delivery.
    await waitFor(() => broker.api.clientStats!().find((s) => s.clientId === 'busy-sub')!.inflight === 0, 'acks counted');
    assert.ok(byId['busy-pub']!.rate > 0);

    const handles = (await api.call({ method: 'GET', url: '/api/v1/recon/handles' })).json() as { by_type: Record<string, number> };
    assert.ok((handles.by_type['TCPSocketWrap'] ?? 0) + (handles.by_type['TCPServerWrap'] ?? 0) >= 1, 'sockets are listed');
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await instance?.stop();
    await api.close();
    await broker.close();
  }
});
