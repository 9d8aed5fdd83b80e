import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { startHarness, waitFor } from '../helpers/mqtt-harness.js';
import { moduleContext } from '../helpers/module-context.js';
import { RawMqttClient } from '../helpers/raw-mqtt-client.js';
import { authScram, type AuthScramConfig } from '../../src/modules/auth-scram/index.js';
import { type Mechanism, ScramClient, deriveKeys } from '../../src/modules/auth-scram/scram.js';

const CONFIG: AuthScramConfig = {
  mechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
  iteration_count: 64,
  on_backend_error: 'ignore',
  users: [
    { username: 'alice', password: 'secret' },
    { username: 'root', password: 'toor', superuser: true },
  ],
};

function connectPacket(method: string, data: Buffer | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const properties: Record<string, unknown> = { authenticationMethod: method };
  if (data !== undefined) properties.authenticationData = data;
  return { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, clientId: 'c1', keepalive: 30, properties, ...extra };
}

/** Runs a full SCRAM CONNECT exchange; returns the CONNACK and whether the server signature verified. */
async function scramConnect(port: number, mechanism: Mechanism, user: string, password: string, clientId = 'c1') {
  const raw = await RawMqttClient.connectTcp(port);
  const scram = new ScramClient(mechanism, user, password, `nonce${clientId}`);
  raw.send(connectPacket(mechanism, Buffer.from(scram.first()), { clientId }));
  const auth = await raw.next();
  assert.equal(auth?.cmd, 'auth');
  assert.equal(auth.reasonCode, 0x18);
  assert.equal(auth.properties?.authenticationMethod, mechanism);
  raw.send({
    cmd: 'auth',
    reasonCode: 0x18,
    properties: { authenticationMethod: mechanism, authenticationData: Buffer.from(await scram.final(String(auth.properties?.authenticationData))) },
  });
  const connack = await raw.next();
  const data = connack?.properties?.authenticationData;
  return { raw, scram, connack, verified: data !== undefined && scram.verify(String(data)) };
}

async function setup(config: AuthScramConfig = CONFIG, allowAnonymous = false) {
  const h = await startHarness({ settings: { allow_anonymous: allowAnonymous } });
  const instance = await authScram.create(moduleContext(h.broker, 'auth-scram'), config);
  return { h, instance, port: h.port('tcp') };
}

test('SCRAM-SHA-1/256/512 over AUTH packets: CONNACK 0x00 with the server-final; the session works', async () => {
  const { h, instance, port } = await setup();
  const raws: RawMqttClient[] = [];
  try {
    for (const mechanism of CONFIG.mechanisms) {
      const { raw, connack, verified } = await scramConnect(port, mechanism, 'alice', 'secret', `c-${mechanism}`);
      raws.push(raw);
      assert.equal(connack?.cmd, 'connack');
      assert.equal(connack.reasonCode, 0);
      assert.equal(connack.properties?.authenticationMethod, mechanism);
      assert.ok(verified, 'server signature verifies');
      await waitFor(() => h.broker.api.client(`c-${mechanism}`) !== undefined, 'client registered');
      const info = h.broker.api.client(`c-${mechanism}`);
      assert.equal(info?.username, 'alice', 'the SCRAM user becomes the client username');
      assert.equal(info?.superuser, false);
      // The connection is a normal MQTT session now: subscribe and get our own message back.
      raw.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `t/${mechanism}`, qos: 0 }] });
      assert.equal((await raw.next())?.cmd, 'suback');
      raw.send({ cmd: 'publish', topic: `t/${mechanism}`, payload: Buffer.from('hi'), qos: 0, retain: false, dup: false });
      const msg = await raw.next();
      assert.equal(msg?.cmd, 'publish');
      assert.equal(String((msg as { payload: Buffer }).payload), 'hi');
    }
    const { raw, connack } = await scramConnect(port, 'SCRAM-SHA-256', 'root', 'toor', 'c-root');
    raws.push(raw);
    assert.equal(connack?.reasonCode, 0);
    await waitFor(() => h.broker.api.client('c-root') !== undefined, 'client registered');
    assert.equal(h.broker.api.client('c-root')?.superuser, true);
  } finally {
    for (const r of raws) r.close();
    await instance.stop();
    await h.close();
  }
});

test('wrong password and unknown user: CONNACK 0x86, connection closed, no client', async () => {
  const { h, instance, port } = await setup();
  try {
    for (const [user, password] of [['alice', 'nope'], ['mallory', 'secret']] as const) {
      const { raw, connack, verified } = await scramConnect(port, 'SCRAM-SHA-256', user, password, `bad-${user}`);
      assert.equal(connack?.cmd, 'connack');
      assert.equal(connack.reasonCode, 0x86);
      assert.equal(verified, false);
      await raw.closedByServer();
      assert.equal(h.broker.api.client(`bad-${user}`), undefined);
    }
  } finally {
    await instance.stop();
    await h.close();
  }
});

test('unknown or disabled method: CONNACK 0x8C; missing data: 0x87', async () => {
  const { h, instance, port } = await setup({ ...CONFIG, mechanisms: ['SCRAM-SHA-256'] });
  try {
    for (const method of ['KERBEROS', 'SCRAM-SHA-1']) {
      const raw = await RawMqttClient.connectTcp(port);
      raw.send(connectPacket(method, Buffer.from('n,,n=alice,r=abc')));
      const connack = await raw.next();
      assert.equal(connack?.cmd, 'connack');
      assert.equal(connack.reasonCode, 0x8c, method);
      await raw.closedByServer();
    }
    const raw = await RawMqttClient.connectTcp(port);
    raw.send(connectPacket('SCRAM-SHA-256', undefined));
    const connack = await raw.next();
    assert.equal(connack?.reasonCode, 0x87);
    await raw.closedByServer();
  } finally {
    await instance.stop();
    await h.close();
  }
});

test('without the module, a CONNECT with an authentication method gets 0x8C; plain clients are unaffected', async () => {
  const h = await startHarness({ settings: { allow_anonymous: true } });
  try {
    const raw = await RawMqttClient.connectTcp(h.port('tcp'));
    raw.send(connectPacket('SCRAM-SHA-256', Buffer.from('n,,n=a,r=b')));
    assert.equal((await raw.next())?.reasonCode, 0x8c);
    await raw.closedByServer();
    const plain = await h.connect({ protocolVersion: 5, clientId: 'plain' });
    assert.ok(plain.connected);
  } finally {
    await h.close();
  }
});

test('AUTH with a different method during the exchange: CONNACK 0x8C', async () => {
  const { h, instance, port } = await setup();
  try {
    const raw = await RawMqttClient.connectTcp(port);
    const scram = new ScramClient('SCRAM-SHA-256', 'alice', 'secret', 'n1');
    raw.send(connectPacket('SCRAM-SHA-256', Buffer.from(scram.first())));
    assert.equal((await raw.next())?.reasonCode, 0x18);
    raw.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-1', authenticationData: Buffer.from('x') } });
    assert.equal((await raw.next())?.reasonCode, 0x8c);
    await raw.closedByServer();
  } finally {
    await instance.stop();
    await h.close();
  }
});

test('re-authentication (AUTH 0x19): success -> AUTH 0x00 with server-final; failure -> DISCONNECT 0x87', async () => {
  const { h, instance, port } = await setup();
  try {
    const { raw } = await scramConnect(port, 'SCRAM-SHA-512', 'alice', 'secret', 'reauth');
    // Success.
    let scram = new ScramClient('SCRAM-SHA-512', 'alice', 'secret', 'again');
    raw.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'SCRAM-SHA-512', authenticationData: Buffer.from(scram.first()) } });
    let auth = await raw.next();
    assert.equal(auth?.reasonCode, 0x18);
    raw.send({
      cmd: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: 'SCRAM-SHA-512', authenticationData: Buffer.from(await scram.final(String(auth?.properties?.authenticationData))) },
    });
    auth = await raw.next();
    assert.equal(auth?.cmd, 'auth');
    assert.equal(auth.reasonCode, 0);
    assert.ok(scram.verify(String(auth.properties?.authenticationData)));
    // Still connected and usable.
    raw.send({ cmd: 'pingreq' });
    assert.equal((await raw.next())?.cmd, 'pingresp');
    await waitFor(() => h.broker.api.client('reauth') !== undefined, 'client registered');
    // Failure: wrong password on re-auth disconnects.
    scram = new ScramClient('SCRAM-SHA-512', 'alice', 'wrong', 'third');
    raw.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'SCRAM-SHA-512', authenticationData: Buffer.from(scram.first()) } });
    auth = await raw.next();
    raw.send({
      cmd: 'auth',
      reasonCode: 0x18,
      properties: { authenticationMethod: 'SCRAM-SHA-512', authenticationData: Buffer.from(await scram.final(String(auth?.properties?.authenticationData))) },
    });
    const disconnect = await raw.next();
    assert.equal(disconnect?.cmd, 'disconnect');
    assert.equal(disconnect.reasonCode, 0x87, "0x86 is not a DISCONNECT reason code");
    await raw.closedByServer();
  } finally {
    await instance.stop();
    await h.close();
  }
});

test('imported 4.x SCRAM-SHA-1 keys (salt, stored key, server key) authenticate', async () => {
  const salt = Buffer.from('emqx-salt');
  const keys = await deriveKeys('SCRAM-SHA-1', 'legacy-pass', salt, 4096);
  const config: AuthScramConfig = {
    ...CONFIG,
    users: [{ username: 'old', salt: salt.toString('base64'), stored_key: keys.storedKey.toString('base64'), server_key: keys.serverKey.toString('base64'), iteration_count: 4096 }],
  };
  const { h, instance, port } = await setup(config);
  try {
    const ok = await scramConnect(port, 'SCRAM-SHA-1', 'old', 'legacy-pass', 'old1');
    assert.equal(ok.connack?.reasonCode, 0);
    assert.ok(ok.verified);
    ok.raw.close();
    // Imported keys serve only their mechanism.
    const raw = await RawMqttClient.connectTcp(port);
    const scram = new ScramClient('SCRAM-SHA-256', 'old', 'legacy-pass', 'x');
    raw.send(connectPacket('SCRAM-SHA-256', Buffer.from(scram.first()), { clientId: 'old2' }));
    const auth = await raw.next();
    raw.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from(await scram.final(String(auth?.properties?.authenticationData))) } });
    assert.equal((await raw.next())?.reasonCode, 0x86);
    raw.close();
  } finally {
    await instance.stop();
    await h.close();
  }
});

test('live update: a new password takes effect for the next connect', async () => {
  const { h, instance, port } = await setup();
  try {
    await instance.update!({ ...CONFIG, users: [{ username: 'alice', password: 'changed' }] });
    const old = await scramConnect(port, 'SCRAM-SHA-256', 'alice', 'secret', 'u1');
    assert.equal(old.connack?.reasonCode, 0x86);
    old.raw.close();
    const fresh = await scramConnect(port, 'SCRAM-SHA-256', 'alice', 'changed', 'u2');
    assert.equal(fresh.connack?.reasonCode, 0);
    fresh.raw.close();
  } finally {
    await instance.stop();
    await h.close();
  }
});

test('MQTT.js v5 client with handleAuth completes SCRAM-SHA-256 and verifies the server-final', async () => {
  const { h, instance, port } = await setup();
  try {
    const scram = new ScramClient('SCRAM-SHA-256', 'alice', 'secret', 'mqttjsnonce');
    const client = mqtt.connect({
      host: '127.0.0.1',
      port,
      protocolVersion: 5,
      clientId: 'mqttjs',
      reconnectPeriod: 0,
      properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from(scram.first()) },
    });
    client.handleAuth = (packet, callback) => {
      scram.final(String(packet.properties?.authenticationData)).then(
        (final) => callback(undefined, { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from(final) } }),
        (error: Error) => callback(error),
      );
    };
    const connack = await new Promise<{ properties?: Record<string, unknown> }>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    assert.ok(scram.verify(String(connack.properties?.authenticationData)));
    await client.subscribeAsync('js/t', { qos: 1 });
    await client.endAsync(true);
  } finally {
    await instance.stop();
    await h.close();
  }
});
