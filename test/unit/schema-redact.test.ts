import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets, REDACTED } from '../../src/schema/redact.js';

test('redacts strings at plain and wildcard pointers in a copy', () => {
  const input = { password: 'p', headers: { a: 'x', b: 'y' }, routes: [{ token: 't' }, { token: 't2', other: 'keep' }], n: 5 };
  const out = redactSecrets(input, ['/password', '/headers/*', '/routes/*/token']);
  assert.deepEqual(out, { password: REDACTED, headers: { a: REDACTED, b: REDACTED }, routes: [{ token: REDACTED }, { token: REDACTED, other: 'keep' }], n: 5 });
  assert.equal(input.password, 'p', 'the input is not mutated');
});

test('leaves missing paths, non-string values and bad pointers alone', () => {
  const input = { password: null, nested: { key: 3 }, list: 'not-an-array' };
  assert.deepEqual(redactSecrets(input, ['/password', '/nested/key', '/list/*/x', '/absent/deep', 'no-slash']), input);
});

test('escaped pointer segments address keys with / and ~', () => {
  assert.deepEqual(redactSecrets({ 'a/b': 's', 'c~d': 's' }, ['/a~1b', '/c~0d']), { 'a/b': REDACTED, 'c~d': REDACTED });
});
