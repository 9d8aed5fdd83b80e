import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseBasicAuth } from '../../src/api/auth.js';
import { parseIfMatch } from '../../src/api/request-helpers.js';
import { restoreSecrets } from '../../src/api/secrets.js';
import { redactSecrets } from '../../src/schema/redact.js';

test('If-Match: plain, quoted and weak forms of a revision all parse to it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom((n: number) => `${n}`, (n: number) => `"${n}"`, (n: number) => `W/"${n}"`, (n: number) => ` ${n} `), (n, format) => {
      assert.equal(parseIfMatch(format(n)), n);
    }),
  );
});

test('If-Match: anything that is not a revision is rejected, never misread', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      const trimmed = s.trim();
      fc.pre(trimmed !== '' && trimmed !== '*' && !/^(?:W\/)?"?\d{1,16}"?$/.test(trimmed));
      assert.throws(() => parseIfMatch(s), { code: 'MODMQ_INVALID_REQUEST' });
    }),
  );
});

test('Basic auth: any user without a colon and any secret round-trip', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1 }).filter((u) => !u.includes(':')), fc.string(), (user, secret) => {
      const header = `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`;
      const parsed = parseBasicAuth(header);
      // Lone surrogates do not survive UTF-8; everything else must.
      fc.pre(Buffer.from(user, 'utf8').toString('utf8') === user && Buffer.from(secret, 'utf8').toString('utf8') === secret);
      assert.deepEqual(parsed, { user, secret });
    }),
  );
});

const server = fc.record(
  { host: fc.string(), password: fc.oneof(fc.string(), fc.constant(null)) },
  { requiredKeys: ['host'], noNullPrototype: true },
);
const config = fc.record(
  {
    password: fc.string(),
    servers: fc.array(server, { maxLength: 4 }),
    headers: fc.dictionary(fc.string({ minLength: 1 }), fc.record({ token: fc.string() }, { noNullPrototype: true }), { maxKeys: 3, noNullPrototype: true }),
  },
  // Bodies come from JSON.parse: never null-prototype objects.
  { requiredKeys: [], noNullPrototype: true },
);
const POINTERS = ['/password', '/servers/*/password', '/headers/*/token'];

test('restoreSecrets(redactSecrets(x), x) gives back x for any config', () => {
  fc.assert(
    fc.property(config, (x) => {
      const redacted = redactSecrets(x, POINTERS);
      const { config: back } = restoreSecrets(redacted, x, POINTERS, '/config');
      assert.deepEqual(back, x);
    }),
  );
});

test('restoreSecrets leaves configs without placeholders unchanged', () => {
  fc.assert(
    fc.property(config, config, (incoming, stored) => {
      const hasPlaceholder = JSON.stringify(incoming).includes('"******"');
      fc.pre(!hasPlaceholder);
      const { config: out, restored } = restoreSecrets(incoming, stored, POINTERS, '');
      assert.deepEqual(out, incoming);
      assert.equal(restored, 0);
    }),
  );
});
