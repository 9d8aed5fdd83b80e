import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { BrokerHookRegistry } from '../../src/broker/hook-registry.js';
import { BackendGuard, BackendTimeoutError, registerAuthorize, SERVER_UNAVAILABLE } from '../../src/modules/auth-common/index.js';

const log = pino({ level: 'silent' });

test('a successful call returns its value and keeps the backend running', async () => {
  const guard = new BackendGuard({ timeoutMs: 5000, onError: 'ignore', log, name: 'db' });
  const result = await guard.run('auth query', async () => 42);
  assert.deepEqual(result, { ok: true, value: 42 });
  assert.deepEqual(guard.health(), { state: 'running' });
});

test('an error degrades with the reason; the next success recovers', async () => {
  const guard = new BackendGuard({ timeoutMs: 5000, onError: 'ignore', log, name: 'db' });
  const failed = await guard.run('auth query', async () => {
    throw new Error('ECONNREFUSED');
  });
  assert.equal(failed.ok, false);
  assert.match((failed as { error: Error }).error.message, /ECONNREFUSED/);
  const health = guard.health();
  assert.equal(health.state, 'degraded');
  assert.match((health as { reason: string }).reason, /db: auth query failed: ECONNREFUSED/);
  // A synchronous throw is caught too.
  const sync = await guard.run('acl query', () => {
    throw new Error('boom');
  });
  assert.equal(sync.ok, false);
  await guard.run('auth query', async () => 'ok');
  assert.deepEqual(guard.health(), { state: 'running' });
});

test('a call that never answers times out, its signal is aborted, and a late rejection is swallowed', async () => {
  const guard = new BackendGuard({ timeoutMs: 10, onError: 'deny', log, name: 'ldap' });
  let seen: AbortSignal | undefined;
  let rejectLate: ((e: Error) => void) | undefined;
  const result = await guard.run('bind', (signal) => {
    seen = signal;
    return new Promise((_resolve, reject) => {
      rejectLate = reject;
    });
  });
  assert.equal(result.ok, false);
  assert.ok((result as { error: Error }).error instanceof BackendTimeoutError);
  assert.equal(seen?.aborted, true);
  assert.equal(guard.health().state, 'degraded');
  rejectLate!(new Error('late')); // must not become an unhandled rejection
  await new Promise((resolve) => setImmediate(resolve));
});

test('runLocal (a call that cannot hang): same value, health and error answer as run, no timeout', async () => {
  // A 1 ms bound that run() would hit: runLocal sets no timer, so a slower call still answers.
  const guard = new BackendGuard({ timeoutMs: 1, onError: 'deny', log, name: 'builtin-db' });
  const slow = await guard.runLocal('user lookup', () => new Promise((resolve) => setTimeout(() => resolve('found'), 20)));
  assert.deepEqual(slow, { ok: true, value: 'found' });
  const failed = await guard.runLocal('acl lookup', () => {
    throw new Error('SQLITE_CORRUPT');
  });
  assert.equal(failed.ok, false);
  assert.deepEqual(guard.health(), { state: 'degraded', reason: 'builtin-db: acl lookup failed: SQLITE_CORRUPT' });
  await guard.runLocal('user lookup', async () => undefined);
  assert.deepEqual(guard.health(), { state: 'running' });
});

test('on_backend_error: ignore passes the client on, deny refuses with server unavailable', () => {
  const ignore = new BackendGuard({ timeoutMs: 1, onError: 'ignore', log, name: 'redis' });
  assert.deepEqual(ignore.authFailure(), { result: 'ignore' });
  assert.deepEqual(ignore.aclFailure(), { result: 'ignore' });
  const deny = new BackendGuard({ timeoutMs: 1, onError: 'deny', log, name: 'redis' });
  const auth = deny.authFailure();
  assert.equal(auth.result, 'deny');
  assert.equal((auth as { reasonCode: number }).reasonCode, SERVER_UNAVAILABLE);
  assert.equal(deny.aclFailure().result, 'deny');
  // Hot update of the policy.
  deny.configure({ onError: 'ignore' });
  assert.deepEqual(deny.authFailure(), { result: 'ignore' });
});

test('degrade()/recover() from connection events', () => {
  const guard = new BackendGuard({ timeoutMs: 1, onError: 'ignore', log, name: 'redis' });
  guard.degrade('connection lost');
  assert.deepEqual(guard.health(), { state: 'degraded', reason: 'connection lost' });
  guard.recover();
  assert.deepEqual(guard.health(), { state: 'running' });
});

test('registerAuthorize().refresh() keeps the chain position and makes the broker flush ACL caches', () => {
  const registry = new BrokerHookRegistry();
  registry.setOrder(['first', 'mine', 'last']);
  const changes: string[] = [];
  registry.onChange = (kind) => changes.push(kind);
  const mine = () => ({ result: 'ignore' }) as const;
  const first = () => ({ result: 'ignore' }) as const;
  const last = () => ({ result: 'ignore' }) as const;
  registry.scope('last').authorize(last);
  const reg = registerAuthorize(registry.scope('mine'), mine);
  registry.scope('first').authorize(first);
  changes.length = 0;
  reg.refresh();
  assert.ok(changes.includes('authorize'));
  assert.deepEqual(registry.chains.authorize, [first, mine, last]);
  reg.unhook();
  assert.deepEqual(registry.chains.authorize, [first, last]);
});
