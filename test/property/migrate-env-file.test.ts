import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseEnvFile, renderEnvFile } from '../../src/migrator/readers/env-file.js';

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/).filter((n) => n !== 'export');
// Any text: quotes, backslashes, `#`, blanks at the ends, newlines, non-ASCII.
const value = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', ' ', '\t', '"', "'", '\\', '#', '=', '\n', '\r', 'é', '$'), maxLength: 20 }),
);
const vars = fc.array(fc.record({ name, value }), { maxLength: 12 });

test('env file: parseEnvFile(renderEnvFile(vars)) gives the variables back, one line each', () => {
  fc.assert(
    fc.property(vars, (vs) => {
      const env = parseEnvFile(renderEnvFile(vs), 'f.env');
      assert.deepEqual(env.problems, []);
      assert.deepEqual(env.vars.map((v) => ({ name: v.name, value: v.value })), vs.map((v) => ({ name: v.name, value: v.value })));
      assert.deepEqual(env.vars.map((v) => v.location.line), vs.map((_, i) => i + 1));
    }),
    { numRuns: 500 },
  );
});
