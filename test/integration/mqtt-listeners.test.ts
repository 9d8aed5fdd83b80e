import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type Harness, nextMessages, startHarness, waitFor } from '../helpers/mqtt-harness.js';
import { makeTestCerts, type TestCerts } from '../helpers/tls-certs.js';

async function roundTrip(client: MqttClient, topic: string): Promise<void> {
  await client.subscribeAsync(topic, { qos: 1 });
  const got = nextMessages(client);
  await client.publishAsync(topic, 'over the wire', { qos: 1 });
  const [m] = await got;
  assert.equal(m!.payload, 'over the wire');
}

describe('listeners: tcp, tls, ws, wss', () => {
  let h: Harness;
  let certs: TestCerts;
  const opened: MqttClient[] = [];
  const open = async (url: string, opts: IClientOptions = {}): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    opened.push(c);
    return c;
  };

  before(async () => {
    certs = makeTestCerts();
    const tlsFiles = { certfile: certs.certfile, keyfile: certs.keyfile, verify: false };
    h = await startHarness({
      listeners: {
        tls: { enable: true, bind: '127.0.0.1', port: 0, ...tlsFiles },
        ws: { enable: true, bind: '127.0.0.1', port: 0, path: '/mqtt' },
        wss: { enable: true, bind: '127.0.0.1', port: 0, path: '/socket', ...tlsFiles },
      },
    });
  });
  after(async () => {
    await Promise.all(opened.map((c) => c.endAsync(true)));
    await h.close();
    certs.cleanup();
  });

  test('every enabled listener is bound on a free port', () => {
    assert.deepEqual(h.bound.map((b) => b.kind), ['tcp', 'tls', 'ws', 'wss']);
    for (const b of h.bound) assert.ok(b.port > 0);
    assert.equal(new Set(h.bound.map((b) => b.port)).size, 4);
  });

  test('tls round trip and listener recorded on the client', async () => {
    const c = await open(`mqtts://127.0.0.1:${h.port('tls')}`, { ca: certs.ca, clientId: 'tls-client', servername: 'localhost' });
    await roundTrip(c, 'tls/t');
    await waitFor(() => h.broker.api.client('tls-client') !== undefined);
    assert.equal(h.broker.api.client('tls-client')!.listener, 'tls');
    assert.equal(h.broker.api.client('tls-client')!.sockPort, h.port('tls'));
  });

  test('ws round trip (subprotocol mqtt) with peer address from the request', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const clientId = `ws-client-${protocolVersion}`;
      const c = await open(`ws://127.0.0.1:${h.port('ws')}/mqtt`, { protocolVersion, clientId });
      await roundTrip(c, `ws/${protocolVersion}`);
      await waitFor(() => h.broker.api.client(clientId) !== undefined);
      const info = h.broker.api.client(clientId)!;
      assert.equal(info.listener, 'ws');
      assert.equal(info.peerHost, '127.0.0.1');
      assert.ok(info.peerPort > 0);
    }
  });

  test('wss round trip on the configured path', async () => {
    const c = await open(`wss://127.0.0.1:${h.port('wss')}/socket`, { ca: certs.ca, clientId: 'wss-client', servername: 'localhost' } as IClientOptions);
    await roundTrip(c, 'wss/t');
    await waitFor(() => h.broker.api.client('wss-client') !== undefined);
    assert.equal(h.broker.api.client('wss-client')!.listener, 'wss');
  });

  test('ws and tcp clients see each other', async () => {
    const wsClient = await open(`ws://127.0.0.1:${h.port('ws')}/mqtt`);
    await wsClient.subscribeAsync('cross/#', { qos: 1 });
    const got = nextMessages(wsClient);
    const tcp = await h.connect();
    await tcp.publishAsync('cross/x', 'from tcp', { qos: 1 });
    assert.equal((await got)[0]!.payload, 'from tcp');
  });
});

describe('tls with client certificate verification', () => {
  let h: Harness;
  let certs: TestCerts;
  before(async () => {
    certs = makeTestCerts();
    h = await startHarness({
      listeners: {
        tls: { enable: true, bind: '127.0.0.1', port: 0, certfile: certs.certfile, keyfile: certs.keyfile, cafile: certs.certfile, verify: true },
      },
    });
  });
  after(async () => {
    await h.close();
    certs.cleanup();
  });

  test('a client without a certificate is refused; one with a trusted certificate connects', async () => {
    await assert.rejects(
      mqtt.connectAsync(`mqtts://127.0.0.1:${h.port('tls')}`, { ca: certs.ca, servername: 'localhost', reconnectPeriod: 0, connectTimeout: 3000 }),
    );
    // The self-signed cert is its own CA, so it also works as a client certificate.
    const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${h.port('tls')}`, {
      ca: certs.ca,
      cert: certs.ca,
      key: (await import('node:fs')).readFileSync(certs.keyfile),
      servername: 'localhost',
      reconnectPeriod: 0,
    });
    assert.equal(c.connected, true);
    await c.endAsync();
  });
});
