import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerHookRegistry } from '../../src/broker/hook-registry.js';
import type { ClientInfo } from '../../src/broker/hooks.js';

const info = { clientId: 'c' } as ClientInfo;
const names = (r: BrokerHookRegistry): string[] => r.chains.clientConnected.map((h) => (h(info), (h as unknown as { tag: string }).tag));
const tagged = (tag: string): (() => void) & { tag: string } => Object.assign(() => undefined, { tag });

test('chains follow module order, then registration order; unknown ids run last', () => {
  const r = new BrokerHookRegistry();
  r.scope('zeta').clientConnected(tagged('zeta'));
  r.scope('alpha').clientConnected(tagged('alpha-1'));
  r.scope('unknown').clientConnected(tagged('unknown'));
  r.scope('alpha').clientConnected(tagged('alpha-2'));
  assert.deepEqual(names(r), ['zeta', 'alpha-1', 'unknown', 'alpha-2']);
  r.setOrder(['alpha', 'zeta']);
  assert.deepEqual(names(r), ['alpha-1', 'alpha-2', 'zeta', 'unknown']);
  r.setOrder(['zeta', 'alpha']);
  assert.deepEqual(names(r), ['zeta', 'alpha-1', 'alpha-2', 'unknown']);
});

test('dispose removes every hook of the scope and only those', () => {
  const r = new BrokerHookRegistry();
  const a = r.scope('a');
  const b = r.scope('b');
  a.authenticate(() => ({ result: 'ignore' }));
  a.authorize(() => ({ result: 'ignore' }));
  a.rewriteTopic((_c, _a, t) => t);
  a.clientConnected(() => undefined);
  a.clientDisconnected(() => undefined);
  b.authorize(() => ({ result: 'allow' }));
  assert.equal(r.size(), 6);
  a.dispose();
  assert.equal(r.size(), 1);
  assert.equal(r.chains.authenticate.length, 0);
  assert.equal(r.chains.authorize.length, 1);
  assert.throws(() => a.authorize(() => ({ result: 'ignore' })), /disposed/);
});

test('unhook is idempotent and chains are immutable snapshots', () => {
  const r = new BrokerHookRegistry();
  const s = r.scope('m');
  const un = s.authorize(() => ({ result: 'allow' }));
  const snapshot = r.chains.authorize;
  un();
  un();
  assert.equal(snapshot.length, 1);
  assert.equal(r.chains.authorize.length, 0);
  assert.ok(Object.isFrozen(r.chains.authorize));
  s.dispose();
  assert.equal(r.size(), 0);
});

test('onChange reports which chain changed', () => {
  const r = new BrokerHookRegistry();
  const changes: string[] = [];
  r.onChange = (k) => changes.push(k);
  const s = r.scope('m');
  s.authorize(() => ({ result: 'allow' }));
  s.rewriteTopic((_c, _a, t) => t);
  s.dispose();
  assert.deepEqual(changes, ['authorize', 'rewriteTopic', 'authorize', 'rewriteTopic']);
});
