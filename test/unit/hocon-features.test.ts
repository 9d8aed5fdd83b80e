import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { HoconError, parseHoconFile, parseHoconText } from '../../src/node/hocon.js';

const fixtures = fileURLToPath(new URL('../fixtures/node/', import.meta.url));
const virtual = join(fixtures, 'virtual.conf');

describe('HOCON features through the adapter', () => {
  test('path keys, object merge and override', async () => {
    const v = await parseHoconText('a.b.c = 1\na { b { d = 2 } }\na.b.c = 3\n', virtual);
    assert.deepEqual(v, { a: { b: { c: 3, d: 2 } } });
  });

  test('substitutions, optional env substitutions, concatenation', async () => {
    process.env['MODMQ_TEST_HOCON_VAR'] = 'from-env';
    try {
      const v = await parseHoconText(
        'host = "h"\nurl = "http://"${host}":8080"\ne = ${?MODMQ_TEST_HOCON_VAR}\nmissing = 1\nmissing = ${?MODMQ_TEST_HOCON_NOPE}\n',
        virtual,
      );
      assert.deepEqual(v, { host: 'h', url: 'http://h:8080', e: 'from-env', missing: 1 });
    } finally {
      delete process.env['MODMQ_TEST_HOCON_VAR'];
    }
  });

  test('triple-quoted strings, comments, escapes, quoted keys', async () => {
    const v = await parseHoconText('// c\n# c\nt = """line1\nline2"""\ns = "a\\nb\\u00e9"\n"x.y" = 1\n', virtual);
    assert.deepEqual(v, { t: 'line1\nline2', s: 'a\nbé', 'x.y': 1 });
  });

  test('numbers stay numbers (also 0.75, which the library alone returns as a string)', async () => {
    const v = await parseHoconText('a = 0.75\nb = "0.75"\nc = 0\nd = -1.5\ne = 1e3\nf = 5s\ng = 64KB\nh = 01\n', virtual);
    assert.deepEqual(v, { a: 0.75, b: '0.75', c: 0, d: -1.5, e: 1000, f: '5s', g: '64KB', h: '01' });
  });

  test('JSON is HOCON', async () => {
    const v = await parseHoconText('{"a": [1, {"b": null}], "c": true}', virtual);
    assert.deepEqual(v, { a: [1, { b: null }], c: true });
  });

  test('includes resolve relative to the including file', async () => {
    const v = await parseHoconFile(join(fixtures, 'include-tree', 'main.conf'));
    assert.deepEqual(v, {
      base_port: 2883,
      listeners: { tcp: { port: 2883 }, ws: { port: 9083 } },
      node: { name: 'inc@127.0.0.1' },
    });
  });

  test('a missing optional include is skipped', async () => {
    assert.deepEqual(await parseHoconText('include "nope.conf"\na = 1\n', virtual), { a: 1 });
  });

  test('a malformed file names file, line and column', async () => {
    const file = join(fixtures, 'malformed.conf');
    await assert.rejects(parseHoconFile(file), (err: unknown) => {
      assert.ok(err instanceof HoconError);
      assert.equal(err.file, file);
      assert.equal(typeof err.line, 'number');
      assert.ok((err.line ?? 0) >= 5, `line ${err.line}`);
      assert.ok(err.message.startsWith(`${file}:${err.line}:`), err.message);
      return true;
    });
  });

  test('syntax errors report the line of the bad token', async () => {
    const cases: Array<[string, number]> = [
      ['a = 1\nb = "open\n', 2],
      ['a = 1\n\n\nb = [1, 2\n', 4],
      ['a = 1\nbind = 0.0.0.0:1883\n', 2],
      ['a = 1\nb = ${nope}\n', 2],
    ];
    for (const [text, line] of cases) {
      await assert.rejects(parseHoconText(text, virtual), (err: unknown) => {
        assert.ok(err instanceof HoconError);
        assert.equal(err.line, line, `${JSON.stringify(text)}: ${err.message}`);
        assert.equal(err.file, virtual);
        return true;
      });
    }
  });

  test('an unreadable file is a HoconError naming it', async () => {
    const file = join(fixtures, 'does-not-exist.conf');
    await assert.rejects(parseHoconFile(file), (err: unknown) => err instanceof HoconError && err.file === file);
  });
});

describe('keys the underlying parser cannot hold', () => {
  for (const text of ['prototype = 1', 'a {\n  constructor = 2\n}', 'x.toString = "a"', '"__proto__" { y = 1 }']) {
    test(`refused with file and line: ${JSON.stringify(text)}`, async () => {
      await assert.rejects(parseHoconText(text, '/tmp/reserved.conf'), (err: unknown) => {
        assert.ok(err instanceof HoconError);
        assert.match(err.message, /^\/tmp\/reserved\.conf:\d+:\d+: the key "[A-Za-z_]+" is not supported/);
        assert.equal(err.line, text.split('\n').findIndex((l) => /prototype|constructor|toString|__proto__/.test(l)) + 1);
        return true;
      });
    });
  }

  test('ordinary keys that merely contain a reserved word still parse', async () => {
    assert.deepEqual(await parseHoconText('prototypes = 1\nmy_constructor = 2\ntext = "toString = x"', '/tmp/ok.conf'), {
      my_constructor: 2,
      prototypes: 1,
      text: 'toString = x',
    });
  });
});
