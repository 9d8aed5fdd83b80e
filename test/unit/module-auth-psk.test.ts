import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authPsk } from '../../src/modules/auth-psk/index.js';
import { parsePskText } from '../../src/modules/auth-psk/psk-file.js';
import { PskTable } from '../../src/modules/auth-psk/psk-table.js';
import { createFakeBroker, type FakeHookRegistry } from '../helpers/fake-broker.js';
import { moduleContext } from '../helpers/module-context.js';

test('psk file: identity<delimiter>key lines, comments and blanks skipped, bad lines reported with their number', () => {
  const { entries, errors } = parsePskText('# c\nclient1:1234\n\nclient2:ab:cd\nbad\n:nokey\r\nx:\n', ':');
  assert.deepEqual(entries, [
    { identity: 'client1', secret: '1234', line: 2 },
    { identity: 'client2', secret: 'ab:cd', line: 4 },
  ]);
  assert.deepEqual(errors.map((e) => e.line), [5, 6, 7]);
  assert.deepEqual(parsePskText('a||b', '||').entries, [{ identity: 'a', secret: 'b', line: 1 }]);
});

test('property: rendered psk lines parse back', () => {
  const part = fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/);
  fc.assert(
    fc.property(fc.array(fc.tuple(part, part), { maxLength: 10 }), (pairs) => {
      const { entries, errors } = parsePskText(pairs.map(([i, k]) => `${i}:${k}`).join('\n'), ':');
      assert.deepEqual(errors, []);
      assert.deepEqual(entries.map((e) => [e.identity, e.secret]), pairs);
    }),
  );
});

test('table: first entry for an identity wins; keys are the text bytes', () => {
  const t = new PskTable();
  t.add('a', '1234');
  t.add('a', 'other');
  assert.equal(t.get('a')?.toString('hex'), '31323334');
  assert.equal(t.get('b'), undefined);
  assert.equal(t.size, 1);
});

test('module: config entries before file entries; stop removes the hook; check limits key size', async () => {
  const fake = createFakeBroker();
  const instance = await authPsk.create(moduleContext(fake, 'psk'), { entries: [{ identity: 'd', secret: 'k' }], file: '', delimiter: ':', on_backend_error: 'ignore' });
  const chain = () => (fake.hooks as FakeHookRegistry).chain('pskLookup');
  assert.equal(chain()[0]!('d', 'tls')?.toString(), 'k');
  assert.deepEqual(instance.status(), { state: 'running' });
  await instance.stop();
  assert.equal(chain().length, 0);
  const problems = authPsk.check!({ entries: [{ identity: 'i'.repeat(129), secret: 's'.repeat(257) }], file: '', delimiter: ':', on_backend_error: 'ignore' });
  assert.deepEqual(problems.map((p) => p.pointer).sort(), ['/entries/0/identity', '/entries/0/secret']);
});
