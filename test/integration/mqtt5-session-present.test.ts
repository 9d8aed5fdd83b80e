import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, startHarness, waitFor } from '../helpers/mqtt-harness.js';
import { connectWithAck } from '../helpers/mqtt5.js';
import { rawConnect } from '../helpers/mqtt5-raw.js';
import type { RawPacket } from '../helpers/raw-mqtt-client.js';

function sessionPresent(connack: RawPacket): boolean {
  return (connack as { sessionPresent?: boolean }).sessionPresent === true;
}

/** Connects with MQTT.js, reads Session Present, disconnects cleanly (DISCONNECT, optionally changing the expiry). */
async function sessionPresentOf(h: Harness, clientId: string, options: Record<string, unknown>, disconnectProps?: Record<string, unknown>): Promise<boolean> {
  const { client, sessionPresent } = await connectWithAck(h, { clientId, ...options });
  await client.endAsync(false, disconnectProps !== undefined ? { properties: disconnectProps } : {});
  // The broker has handled the disconnect (its session record is updated in the same event).
  await waitFor(() => h.broker.api.client(clientId) === undefined, `${clientId} gone`);
  return sessionPresent;
}

// [MQTT-3.2.2-2]: Session Present is 1 when a session is resumed, even one without subscriptions.
describe('CONNACK Session Present', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('v5: a persistent session without subscriptions is present on reconnect', async () => {
    const persistent = { clean: false, properties: { sessionExpiryInterval: 300 } };
    assert.equal(await sessionPresentOf(h, 'sp-nosubs', persistent), false);
    assert.equal(await sessionPresentOf(h, 'sp-nosubs', persistent), true);
  });

  test('v5: Clean Start 1 answers 0 and ends the old session', async () => {
    const persistent = { clean: false, properties: { sessionExpiryInterval: 300 } };
    await sessionPresentOf(h, 'sp-clean', persistent);
    assert.equal(await sessionPresentOf(h, 'sp-clean', { clean: true }), false);
    // That clean session (expiry 0) ended with its connection: nothing to resume.
    assert.equal(await sessionPresentOf(h, 'sp-clean', persistent), false);
  });

  test('v5: Session Expiry 0 (at CONNECT or set by DISCONNECT) leaves no session', async () => {
    assert.equal(await sessionPresentOf(h, 'sp-zero', { clean: false }), false);
    assert.equal(await sessionPresentOf(h, 'sp-zero', { clean: false, properties: { sessionExpiryInterval: 300 } }, { sessionExpiryInterval: 0 }), false);
    assert.equal(await sessionPresentOf(h, 'sp-zero', { clean: false, properties: { sessionExpiryInterval: 300 } }), false);
  });

  test('v5: an expired session is not present', async () => {
    await sessionPresentOf(h, 'sp-expiry', { clean: false, properties: { sessionExpiryInterval: 1 } });
    // Session Expiry is in seconds: wait until it has surely passed.
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(await sessionPresentOf(h, 'sp-expiry', { clean: false, properties: { sessionExpiryInterval: 1 } }), false);
  });

  test('v5: a session with subscriptions is still present (aedes answer kept)', async () => {
    const { client } = await connectWithAck(h, { clientId: 'sp-subs', clean: false, properties: { sessionExpiryInterval: 300 } });
    await client.subscribeAsync('sp/subs', { qos: 1 });
    await client.endAsync();
    assert.equal(await sessionPresentOf(h, 'sp-subs', { clean: false, properties: { sessionExpiryInterval: 300 } }), true);
  });

  test('v5: taking over a connected persistent session reports it present, with the CONNACK properties intact', async () => {
    const first = await rawConnect(h.port(), { clientId: 'sp-takeover', clean: false, properties: { sessionExpiryInterval: 300 } });
    assert.equal(sessionPresent(first.connack), false);
    const second = await rawConnect(h.port(), { clientId: 'sp-takeover', clean: false, properties: { sessionExpiryInterval: 300 } });
    try {
      assert.equal(sessionPresent(second.connack), true);
      assert.equal(second.connack.reasonCode, 0);
      // The capabilities added to every v5 CONNACK survive the rewrite.
      assert.equal(second.connack.properties?.sharedSubscriptionAvailable, true);
      await first.client.closedByServer();
    } finally {
      first.client.close();
      second.client.close();
    }
  });

  test('MQTT 3.1.1: clean session 0 without subscriptions is present on reconnect; clean session 1 ends it', async () => {
    const v4 = { protocolVersion: 4 as const, clean: false };
    assert.equal(await sessionPresentOf(h, 'sp-v4', v4), false);
    assert.equal(await sessionPresentOf(h, 'sp-v4', v4), true);
    assert.equal(await sessionPresentOf(h, 'sp-v4', { protocolVersion: 4, clean: true }), false);
    assert.equal(await sessionPresentOf(h, 'sp-v4', v4), false);
  });

  test('MQTT 3.1.1 raw: the Session Present bit is set on the wire', async () => {
    const first = await rawConnect(h.port(), { clientId: 'sp-v4-raw', clean: false, protocolVersion: 4 });
    first.client.send({ cmd: 'disconnect' });
    await first.client.closedByServer();
    const again = await rawConnect(h.port(), { clientId: 'sp-v4-raw', clean: false, protocolVersion: 4 });
    try {
      assert.equal(sessionPresent(again.connack), true);
      assert.equal((again.connack as { returnCode?: number }).returnCode, 0);
    } finally {
      again.client.close();
    }
  });
});
