import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChain } from '../../src/broker/chain-runner.js';
import type { AclDecision } from '../../src/broker/hooks.js';
import { parseDurationMs } from '../../src/broker/duration.js';

type Hook = () => AclDecision | Promise<AclDecision>;
const run = (hooks: Hook[], timeoutMs = 5000): Promise<{ decision: AclDecision | undefined; errors: number[] }> =>
  new Promise((resolve) => {
    const errors: number[] = [];
    // The runner's timeout timer is unref'd (it must not hold a broker open): keep the loop alive here.
    const keepAlive = setInterval(() => undefined, 1000);
    runChain<Hook, AclDecision>(hooks, (h) => h(), (_e, i) => errors.push(i), (decision) => {
      clearInterval(keepAlive);
      resolve({ decision, errors });
    }, timeoutMs);
  });

test('first allow/deny wins; ignore passes on', async () => {
  const calls: number[] = [];
  const r = await run([
    () => (calls.push(0), { result: 'ignore' }),
    async () => (calls.push(1), { result: 'deny' }),
    () => (calls.push(2), { result: 'allow' }),
  ]);
  assert.deepEqual(r.decision, { result: 'deny' });
  assert.deepEqual(calls, [0, 1]);
});

test('all ignore -> undefined; sync chains answer synchronously', () => {
  let answered = false;
  runChain<Hook, AclDecision>([() => ({ result: 'ignore' })], (h) => h(), () => undefined, (d) => {
    answered = true;
    assert.equal(d, undefined);
  });
  assert.equal(answered, true);
});

test('throwing, rejecting, invalid and hanging hooks count as ignore and are reported', async () => {
  const r = await run(
    [
      () => {
        throw new Error('x');
      },
      () => Promise.reject(new Error('y')),
      () => null as unknown as AclDecision,
      () => new Promise<AclDecision>(() => undefined),
      () => ({ result: 'allow' }),
    ],
    20,
  );
  assert.deepEqual(r.decision, { result: 'allow' });
  assert.deepEqual(r.errors, [0, 1, 2, 3]);
});

test('durations', () => {
  assert.equal(parseDurationMs('1m'), 60_000);
  assert.equal(parseDurationMs('30s'), 30_000);
  assert.equal(parseDurationMs('250ms'), 250);
  assert.equal(parseDurationMs('2h'), 7_200_000);
  assert.equal(parseDurationMs(15), 15);
  assert.throws(() => parseDurationMs('soon'));
});
