import assert from 'node:assert/strict';
import { test } from 'node:test';
import { positiveDuration } from '../../src/modules/runtime/checks.js';

test('positiveDuration: > 0 passes, 0 and garbage are problems at the pointer, absent is fine', () => {
  assert.deepEqual(positiveDuration('/timeout', '5s'), []);
  assert.deepEqual(positiveDuration('/timeout', undefined), []);
  assert.deepEqual(positiveDuration('/a/interval', '0s'), [{ pointer: '/a/interval', keyword: 'minimum', message: 'interval must be greater than 0' }]);
  const [problem] = positiveDuration('/timeout', 'soon');
  assert.equal(problem?.pointer, '/timeout');
  assert.match(problem?.message ?? '', /^timeout invalid duration/);
});
