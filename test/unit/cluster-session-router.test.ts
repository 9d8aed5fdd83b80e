/**
 * Cluster session routing through a Redis outage (src/cluster/session-router.ts and the
 * subscriber re-subscription of local-first-emitter.ts), with fake stores and connections.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import type { Redis } from 'ioredis';
import type { Client } from 'aedes';
import { refuseSessionsWhileDown, SessionRouter, type SessionStore } from '../../src/cluster/session-router.js';
import { resubscribeOnReady } from '../../src/cluster/local-first-emitter.js';

/** A store that records each call and answers with its own name (or fails when told to). */
function fakeStore(name: string, calls: string[], fail?: () => Error | undefined): SessionStore {
  return new Proxy({} as SessionStore, {
    get(_target, method: string) {
      return (...args: unknown[]) => {
        calls.push(`${name}.${method}`);
        if (method.endsWith('Stream') || method === 'streamWill' || method === 'getClientList') return Readable.from([name]);
        const error = fail?.();
        return error === undefined ? Promise.resolve(name) : Promise.reject(error);
      };
    },
  });
}

const clean = { id: 'c', clean: true };
const persistent = { id: 'p', clean: false };

test('clean sessions keep their in-flight state in memory; persistent ones in Redis', async () => {
  const calls: string[] = [];
  const router = new SessionRouter(fakeStore('redis', calls), fakeStore('memory', calls), () => true);
  assert.equal(await router.outgoingUpdate(clean, {}), 'memory');
  assert.equal(await router.incomingStorePacket(clean, {}), 'memory');
  assert.equal(await router.outgoingUpdate(persistent, {}), 'redis');
  assert.equal(await router.putWill(clean, {}), 'redis', 'wills stay in Redis for the will sweep of other nodes');
  calls.length = 0;
  await router.cleanSubscriptions(clean);
  assert.deepEqual(calls, ['memory.cleanSubscriptions', 'redis.cleanSubscriptions'], 'a clean start also ends an old session in Redis');
});

test('while Redis is down: clean sessions work, the rest answers empty at once without calling Redis', async () => {
  const calls: string[] = [];
  const router = new SessionRouter(fakeStore('redis', calls), fakeStore('memory', calls), () => false);
  assert.equal(await router.outgoingClearMessageId(clean, {}), 'memory');
  assert.equal(await router.storeRetained({ topic: 't', payload: Buffer.from('x') }), undefined);
  assert.deepEqual(await router.subscriptionsByClient(persistent), []);
  assert.equal(await router.outgoingEnqueueCombi([{ clientId: 'p' }], {}), undefined);
  assert.equal(await router.putWill(clean, {}), undefined);
  assert.equal(await router.cleanSubscriptions(clean), undefined);
  // aedes takes any value from outgoingUpdate as an error.
  assert.equal(await router.outgoingUpdate(persistent, {}), undefined);
  assert.deepEqual(await router.createRetainedStreamCombi(['#']).toArray(), []);
  assert.deepEqual(await router.streamWill({}).toArray(), []);
  assert.ok(
    calls.every((c) => c.startsWith('memory.')),
    calls.join(),
  );
});

test('a Redis call failing because Redis went down gives the empty answer; other failures surface', async () => {
  let up = true;
  let message = 'WRONGTYPE';
  const calls: string[] = [];
  const failing = fakeStore('redis', calls, () => new Error(message));
  const router = new SessionRouter(failing, fakeStore('memory', calls), () => up);
  await assert.rejects(router.storeRetained({ topic: 't' }), /WRONGTYPE/);
  // Redis drops during the call: aedes gets the empty answer, not an error.
  message = 'Connection is closed.';
  const storing = router.outgoingEnqueue({ clientId: 'p' }, {});
  up = false;
  assert.equal(await storing, undefined);
  assert.deepEqual(calls, ['redis.storeRetained', 'redis.outgoingEnqueue']);
});

test('the will sweep waits until other nodes could be heard', async () => {
  let safe = false;
  const router = new SessionRouter(fakeStore('redis', []), fakeStore('memory', []), () => true, () => safe);
  assert.deepEqual(await router.streamWill({}).toArray(), []);
  safe = true;
  assert.deepEqual(await router.streamWill({}).toArray(), ['redis']);
});

test('sessions needing Redis are refused with "server unavailable" while it is down', () => {
  let up = false;
  let passed = 0;
  const guarded = refuseSessionsWhileDown(
    () => up,
    (_client, _user, _password, done) => {
      passed++;
      done(null, true);
    },
  );
  const attempt = (session: { clean: boolean; _cleanStart: boolean }): { code?: number; ok: boolean | null } => {
    let answer: { code?: number; ok: boolean | null } = { ok: null };
    guarded(session as unknown as Client, undefined, undefined, (error, ok) => {
      answer = { ok, ...(error !== null ? { code: (error as { returnCode?: number }).returnCode } : {}) };
    });
    return answer;
  };
  assert.deepEqual(attempt({ clean: false, _cleanStart: true }), { ok: false, code: 3 });
  assert.deepEqual(attempt({ clean: true, _cleanStart: false }), { ok: false, code: 3 }, 'resuming a session needs Redis too');
  assert.deepEqual(attempt({ clean: true, _cleanStart: true }), { ok: true });
  up = true;
  assert.deepEqual(attempt({ clean: false, _cleanStart: true }), { ok: true });
  assert.equal(passed, 2);
});

test('pub/sub channels asked for while Redis is down are subscribed once it is ready', async () => {
  const sent: string[] = [];
  const conn = Object.assign(new EventEmitter(), {
    status: 'reconnecting',
    subscribe: async (channel: string) => void sent.push(`subscribe ${channel}`),
    psubscribe: async (channel: string) => void sent.push(`psubscribe ${channel}`),
    unsubscribe: async (channel: string) => void sent.push(`unsubscribe ${channel}`),
    punsubscribe: async (channel: string) => void sent.push(`punsubscribe ${channel}`),
  });
  resubscribeOnReady(conn as unknown as Redis, pino({ level: 'silent' }));
  const c = conn as unknown as Record<string, (channel: string, cb?: () => void) => Promise<unknown>>;
  let answered = 0;
  await c.psubscribe!('a/*', () => answered++);
  await c.subscribe!('b', () => answered++);
  await c.psubscribe!('gone/*', () => answered++);
  await c.punsubscribe!('gone/*', () => answered++);
  assert.equal(answered, 4, 'answered at once while Redis is down');
  assert.equal(sent.length, 0);
  conn.status = 'ready';
  conn.emit('ready');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent.sort(), ['psubscribe a/*', 'subscribe b']);
  // Once up, calls go through as usual.
  await c.subscribe!('c', () => answered++);
  assert.equal(answered, 5);
  assert.ok(sent.includes('subscribe c'));
});
