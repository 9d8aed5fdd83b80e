import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseHoconText } from '../../src/node/hocon.js';

const file = join(tmpdir(), 'modmq-property', 'roundtrip.conf');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// Unquoted keys must not be HOCON keywords; `include` is the only one at key position.
const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((k) => k !== 'include' && k !== 'true' && k !== 'false' && k !== 'null');
const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
  fc.string(),
);
const { value } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));
// fc.dictionary builds null-prototype objects; compare against plain ones.
const root = fc.dictionary(key, value, { maxKeys: 6 }).map((d) => JSON.parse(JSON.stringify(d)) as Record<string, Json>);

/** A tiny HOCON emitter: unquoted keys, `key { }` for objects, `=` otherwise, newline separators. */
function emit(v: Json, indent = ''): string {
  if (Array.isArray(v)) return `[${v.map((x) => emit(x, indent)).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const inner = indent + '  ';
    const lines = Object.entries(v).map(([k, x]) =>
      x !== null && typeof x === 'object' && !Array.isArray(x) ? `${inner}${k} ${emit(x, inner)}` : `${inner}${k} = ${emit(x, inner)}`,
    );
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}

/** The adapter sorts object keys; equality is by content anyway (deepEqual ignores key order). */
test('parse(emit(x)) equals x for JSON-compatible objects', async () => {
  await fc.assert(
    fc.asyncProperty(root, async (doc) => {
      assert.deepEqual(await parseHoconText(emit(doc), file), doc);
    }),
    { numRuns: 150 },
  );
});

test('JSON text parses as HOCON to the same value', async () => {
  await fc.assert(
    fc.asyncProperty(root, async (doc) => {
      assert.deepEqual(await parseHoconText(JSON.stringify(doc), file), doc);
    }),
    { numRuns: 150 },
  );
});
