/** withDeadline: the publish path's bound on a store call that does not answer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StoreTimeoutError, withDeadline } from '../../src/modules/delayed-publish/store-deadline.js';

function later<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('an answer before the deadline passes through (value or error); nothing goes to late', async () => {
  const late: number[] = [];
  assert.equal(await withDeadline(Promise.resolve(7), 10_000, (v) => late.push(v)), 7);
  await assert.rejects(withDeadline(Promise.reject<number>(new Error('down')), 10_000, (v: number) => late.push(v)), /down/);
  assert.deepEqual(late, []);
});

test('no answer by the deadline: StoreTimeoutError; a value arriving afterwards goes to late, a late error nowhere', async () => {
  const slow = later<number>();
  const late: number[] = [];
  await assert.rejects(withDeadline(slow.promise, 5, (v) => late.push(v)), (error: unknown) => error instanceof StoreTimeoutError && error.ms === 5);
  slow.resolve(42);
  await slow.promise;
  assert.deepEqual(late, [42]);

  const failing = later<number>();
  await assert.rejects(withDeadline(failing.promise, 5, (v) => late.push(v)), StoreTimeoutError);
  failing.reject(new Error('late failure'));
  await assert.rejects(failing.promise);
  assert.deepEqual(late, [42], 'a late error is not reported twice');
});
