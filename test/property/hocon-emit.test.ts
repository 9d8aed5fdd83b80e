import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import fc from 'fast-check';
import { emitHocon } from '../../src/node/hocon-emit.js';
import { parseHoconText } from '../../src/node/hocon.js';

const file = join(tmpdir(), 'modmq-property', 'emit.conf');
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  fc.string({ unit: 'grapheme' }),
  fc.string(),
  fc.constantFrom('true', 'false', 'null', 'yes', 'on', 'include', '12', '0.75', '1e5', '-3', 'sha256', 'a.b', '${x}', '//c', '#c', ' x ', ''),
);
// Known @pushcorn/hocon-parser bug (not an emitter issue, escaping does not help): inside a quoted key, `{`
// can be re-read as the start of an expression (`"{! " = 1` and `"*{! " = 1` fail with "Invalid expression",
// a `"{"` key leaks sibling entries). The reader fails loudly rather than losing data; such keys are excluded.
const RESERVED = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
const key = fc
  .oneof(fc.string(), fc.constantFrom('include', 'true', 'a.b', 'x-y', '', '"q"', ' ', '$', 'a b'))
  .filter((k) => !k.includes('{'))
  // Keys named like Object.prototype members are refused by the reader with a clear error (tested in
  // test/unit/hocon-features.test.ts), so they cannot round-trip.
  .filter((k) => !RESERVED.has(k));
const { value } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
}));
const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

test('parseHoconText(emitHocon(x)) deep-equals x for arbitrary objects', async () => {
  await fc.assert(
    fc.asyncProperty(fc.dictionary(key, value, { maxKeys: 6 }).map(plain), async (doc) => {
      assert.deepEqual(await parseHoconText(emitHocon(doc), file), doc);
    }),
    { numRuns: 300 },
  );
});

test('parseHoconText(emitHocon(x)) deep-equals x for arbitrary arrays', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(value, { maxLength: 5 }).map(plain), async (doc) => {
      assert.deepEqual(await parseHoconText(emitHocon(doc), file), doc);
    }),
    { numRuns: 150 },
  );
});

test('EMQX style: blocks for objects, quoted keys with dots, plain words unquoted', () => {
  const text = emitHocon({ modules: [{ id: 'presence', config: { qos: 1 } }], settings: { 'a.b': 'sha256', n: '12' } });
  assert.match(text, /^modules = \[\n  \{\n    id = presence\n    config \{\n      qos = 1\n    \}\n  \}\n\]\nsettings \{\n  "a\.b" = sha256\n  n = "12"\n\}\n$/);
});

test('a scalar root is rejected', () => {
  assert.throws(() => emitHocon('x'), TypeError);
});
