import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import mqtt from 'mqtt';
import { type Harness, nextMessages, startHarness } from '../helpers/mqtt-harness.js';
import { moduleContext } from '../helpers/module-context.js';
import { RawMqttClient } from '../helpers/raw-mqtt-client.js';
import { makeTestCerts } from '../helpers/tls-certs.js';
import { authPsk, type AuthPskConfig } from '../../src/modules/auth-psk/index.js';

const CONFIG: AuthPskConfig = { entries: [{ identity: 'dev1', secret: 'key-one' }], file: '', delimiter: ':', on_backend_error: 'ignore' };

/** TLS-PSK handshake + MQTT CONNECT; resolves with the CONNACK return code or the TLS error. */
function pskConnect(port: number, identity: string, key: string, ciphers?: string): Promise<{ returnCode?: number; error?: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ...(ciphers ? { ciphers, maxVersion: 'TLSv1.2' as const } : {}),
      checkServerIdentity: () => undefined,
      pskCallback: () => ({ identity, psk: Buffer.from(key, 'utf8') }),
    });
    socket.once('error', (error) => resolve({ error: error.message }));
    socket.once('secureConnect', async () => {
      const raw = new RawMqttClient(socket, 4);
      raw.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `psk-${identity}`, keepalive: 30 });
      const connack = await raw.next();
      raw.close();
      resolve({ returnCode: (connack as { returnCode?: number } | undefined)?.returnCode ?? -1 });
    });
  });
}

function mosquittoPub(port: number, identity: string, hexKey: string, topic: string, message: string): Promise<number> {
  return new Promise((resolve) => {
    const args = ['-h', '127.0.0.1', '-p', String(port), '--psk', hexKey, '--psk-identity', identity, '-t', topic, '-m', message, '-q', '1', '-i', `mosq-${identity}`];
    execFile('mosquitto_pub', args, { timeout: 15_000 }, (error) => resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : 1));
  });
}

async function pskHarness(tlsExtra: Record<string, unknown> = {}): Promise<Harness> {
  return startHarness({
    settings: { allow_anonymous: true },
    listeners: { tls: { enable: true, bind: '127.0.0.1', port: 0, psk: true, ...tlsExtra } },
  });
}

test('PSK-only TLS listener: a known identity and key connect; unknown identity or wrong key fail the handshake', async () => {
  const h = await pskHarness();
  const instance = await authPsk.create(moduleContext(h.broker, 'auth-psk'), CONFIG);
  try {
    const port = h.port('tls');
    assert.deepEqual(await pskConnect(port, 'dev1', 'key-one'), { returnCode: 0 });
    // TLS 1.2 PSK suite too.
    assert.deepEqual(await pskConnect(port, 'dev1', 'key-one', 'PSK-AES128-GCM-SHA256'), { returnCode: 0 });
    assert.ok((await pskConnect(port, 'nobody', 'key-one')).error, 'unknown identity');
    assert.ok((await pskConnect(port, 'dev1', 'wrong')).error, 'wrong key');
  } finally {
    await instance.stop();
    await h.close();
  }
});

test('mosquitto_pub --psk publishes through the PSK listener; a wrong key is refused', async () => {
  const h = await pskHarness();
  const instance = await authPsk.create(moduleContext(h.broker, 'auth-psk'), CONFIG);
  try {
    const sub = await h.connect({ clientId: 'sub' });
    await sub.subscribeAsync('psk/t', { qos: 1 });
    const got = nextMessages(sub, 1);
    const hex = Buffer.from('key-one').toString('hex');
    assert.equal(await mosquittoPub(h.port('tls'), 'dev1', hex, 'psk/t', 'hello'), 0);
    assert.equal((await got)[0]!.payload, 'hello');
    assert.notEqual(await mosquittoPub(h.port('tls'), 'dev1', Buffer.from('bad').toString('hex'), 'psk/t', 'x'), 0);
  } finally {
    await instance.stop();
    await h.close();
  }
});

test('live update and stop: keys change for the next handshake; without the module PSK fails', async () => {
  const h = await pskHarness();
  const instance = await authPsk.create(moduleContext(h.broker, 'auth-psk'), CONFIG);
  try {
    const port = h.port('tls');
    await instance.update!({ ...CONFIG, entries: [{ identity: 'dev2', secret: 'key-two' }] });
    assert.ok((await pskConnect(port, 'dev1', 'key-one')).error);
    assert.deepEqual(await pskConnect(port, 'dev2', 'key-two'), { returnCode: 0 });
    await instance.stop();
    assert.ok((await pskConnect(port, 'dev2', 'key-two')).error);
  } finally {
    await h.close();
  }
});

test('PSK file: identities read at start; an unreadable file degrades (ignore) or fails create (deny)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'modmq-psk-'));
  const h = await pskHarness();
  try {
    const file = path.join(dir, 'psk.txt');
    writeFileSync(file, '# comment\nfiledev;file-key\n\nbroken-line\n');
    const instance = await authPsk.create(moduleContext(h.broker, 'auth-psk'), { ...CONFIG, file, delimiter: ';' });
    assert.deepEqual(await pskConnect(h.port('tls'), 'filedev', 'file-key'), { returnCode: 0 });
    assert.deepEqual(await pskConnect(h.port('tls'), 'dev1', 'key-one'), { returnCode: 0 });
    const status = instance.status();
    assert.equal(status.state, 'degraded', 'the broken line is reported');
    await instance.stop();
    await assert.rejects(authPsk.create(moduleContext(h.broker, 'auth-psk-2'), { ...CONFIG, file: path.join(dir, 'missing'), on_backend_error: 'deny' }));
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a TLS listener with a certificate and psk serves both certificate and PSK clients', async () => {
  const certs = makeTestCerts();
  const h = await pskHarness({ certfile: certs.certfile, keyfile: certs.keyfile });
  const instance = await authPsk.create(moduleContext(h.broker, 'auth-psk'), CONFIG);
  try {
    const port = h.port('tls');
    const certClient = await mqtt.connectAsync({ host: '127.0.0.1', port, protocol: 'mqtts', ca: certs.ca, servername: 'localhost', reconnectPeriod: 0, clientId: 'cert' });
    assert.ok(certClient.connected);
    await certClient.endAsync(true);
    // A PSK suite forces PSK (over TLS 1.3 the server may prefer its certificate).
    assert.deepEqual(await pskConnect(port, 'dev1', 'key-one', 'PSK-AES256-GCM-SHA384'), { returnCode: 0 });
    assert.ok((await pskConnect(port, 'dev1', 'wrong', 'PSK-AES256-GCM-SHA384')).error);
    assert.equal(await mosquittoPub(port, 'dev1', Buffer.from('key-one').toString('hex'), 'psk/both', 'x'), 0);
  } finally {
    await instance.stop();
    await h.close();
    certs.cleanup();
  }
});

test('a listener without psk refuses PSK handshakes even with the module running', async () => {
  const certs = makeTestCerts();
  const h = await startHarness({ listeners: { tls: { enable: true, bind: '127.0.0.1', port: 0, certfile: certs.certfile, keyfile: certs.keyfile } } });
  const instance = await authPsk.create(moduleContext(h.broker, 'auth-psk'), CONFIG);
  try {
    assert.ok((await pskConnect(h.port('tls'), 'dev1', 'key-one')).error);
  } finally {
    await instance.stop();
    await h.close();
    certs.cleanup();
  }
});
