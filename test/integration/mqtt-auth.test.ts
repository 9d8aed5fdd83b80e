import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { connectError, type Harness, startHarness, waitFor } from '../helpers/mqtt-harness.js';

describe('authentication chain', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ settings: { allow_anonymous: false } });
  });
  after(async () => {
    await h.close();
  });

  test('all hooks ignore -> allow_anonymous decides (false: refused with 5 / 0x87)', async () => {
    const v4 = await connectError(h.port(), { protocolVersion: 4, username: 'u' });
    assert.equal(v4.code, 5);
    const v5 = await connectError(h.port(), { protocolVersion: 5 });
    assert.equal(v5.code, 0x87);
  });

  test('hooks run in module order; first allow/deny decides', async () => {
    const calls: string[] = [];
    h.broker.hooks.setOrder(['first', 'second', 'third']);
    // Registered out of order on purpose.
    const third = h.broker.hooks.scope('third');
    third.authenticate(() => {
      calls.push('third');
      return { result: 'allow' };
    });
    const first = h.broker.hooks.scope('first');
    first.authenticate(({ client }) => {
      calls.push('first');
      return client.username === 'mallory' ? { result: 'deny', reasonCode: 0x86 } : { result: 'ignore' };
    });
    const second = h.broker.hooks.scope('second');
    second.authenticate(async ({ client, password }) => {
      calls.push('second');
      if (client.username === 'alice') return password?.toString() === 'secret' ? { result: 'allow', superuser: true } : { result: 'deny', reasonCode: 0x86 };
      return { result: 'ignore' };
    });

    const c = await h.connect({ protocolVersion: 5, username: 'alice', password: 'secret', clientId: 'alice-1' });
    assert.deepEqual(calls, ['first', 'second']);
    await waitFor(() => h.broker.api.client('alice-1') !== undefined);
    const info = h.broker.api.client('alice-1')!;
    assert.equal(info.superuser, true);
    assert.equal(info.listener, 'tcp');
    assert.equal(info.sockPort, h.port());
    assert.equal(info.peerHost, '127.0.0.1');
    assert.equal(info.protoVer, 5);
    assert.equal(info.username, 'alice');
    await c.endAsync();

    calls.length = 0;
    const bad = await connectError(h.port(), { protocolVersion: 4, username: 'alice', password: 'wrong' });
    assert.equal(bad.code, 4);
    assert.deepEqual(calls, ['first', 'second']);

    calls.length = 0;
    const denied = await connectError(h.port(), { protocolVersion: 5, username: 'mallory', password: 'x' });
    assert.equal(denied.code, 0x86);
    assert.deepEqual(calls, ['first']);

    calls.length = 0;
    const other = await h.connect({ protocolVersion: 4, username: 'bob' });
    assert.deepEqual(calls, ['first', 'second', 'third']);
    await other.endAsync();

    // Disposing a scope removes its hooks: bob now falls through to allow_anonymous=false.
    third.dispose();
    const refused = await connectError(h.port(), { protocolVersion: 4, username: 'bob' });
    assert.equal(refused.code, 5);
    first.dispose();
    second.dispose();
  });

  test('a hook that throws counts as ignore', async () => {
    const scope = h.broker.hooks.scope('broken');
    scope.authenticate(() => {
      throw new Error('boom');
    });
    const ok = h.broker.hooks.scope('ok');
    ok.authenticate(() => ({ result: 'allow' }));
    const c = await h.connect({ protocolVersion: 4 });
    assert.equal(c.connected, true);
    await c.endAsync();
    scope.dispose();
    ok.dispose();
  });

  test('setSettings applies live: allow_anonymous true admits everyone', async () => {
    const refused = await connectError(h.port(), { protocolVersion: 4 });
    assert.equal(refused.code, 5);
    h.broker.setSettings({ allow_anonymous: true, acl_nomatch: 'allow', acl_deny_action: 'ignore', acl_cache: { enable: true, max_size: 32, ttl: '1m' } });
    const c = await h.connect({ protocolVersion: 4 });
    assert.equal(c.connected, true);
    await c.endAsync();
    h.broker.setSettings({ allow_anonymous: false, acl_nomatch: 'allow', acl_deny_action: 'ignore', acl_cache: { enable: true, max_size: 32, ttl: '1m' } });
  });
});

describe('client lifecycle hooks', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('connected and disconnected hooks with EMQX reasons', async () => {
    const events: Array<[string, string]> = [];
    const scope = h.broker.hooks.scope('presence');
    scope.clientConnected((c: ClientInfo) => events.push(['connected', c.clientId]));
    scope.clientDisconnected((c: ClientInfo, reason) => events.push([reason, c.clientId]));
    const throwing = h.broker.hooks.scope('throwing');
    throwing.clientConnected(() => {
      throw new Error('hook bug');
    });

    const a = await h.connect({ clientId: 'life-a' });
    await a.endAsync();
    await waitFor(() => events.some(([r, id]) => r === 'normal' && id === 'life-a'), 'normal');

    const b = await h.connect({ clientId: 'life-b' });
    (b as unknown as { stream: { destroy(): void } }).stream.destroy();
    await waitFor(() => events.some(([r, id]) => r === 'tcp_closed' && id === 'life-b'), 'tcp_closed');

    const c1 = await h.connect({ clientId: 'life-c', protocolVersion: 5 });
    c1.on('error', () => undefined);
    const c2 = await h.connect({ clientId: 'life-c', protocolVersion: 5 });
    await waitFor(() => events.some(([r, id]) => r === 'takenover' && id === 'life-c'), 'takenover');
    assert.equal(h.broker.api.client('life-c')?.clientId, 'life-c');
    await c2.endAsync();

    assert.ok(events.some(([r, id]) => r === 'connected' && id === 'life-a'));
    scope.dispose();
    throwing.dispose();
  });
});
