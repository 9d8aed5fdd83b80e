import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConf, readConfFile, renderConf } from '../../src/migrator/readers/cuttlefish.js';

const pairs = (text: string) => parseConf(text, 'f').settings.map((s) => [s.path, s.value]);
const codes = (text: string) => parseConf(text, 'f').problems.map((p) => [p.code, p.location.line]);

test('grammar rules of cuttlefish conf_parse.peg', () => {
  assert.deepEqual(pairs('# c\n   ## c2\na.b = value # not a comment\n'), [[['a', 'b'], 'value # not a comment']]);
  assert.deepEqual(pairs('a.b = "quoted"\r\nc.d =    padded  \t\n'), [[['a', 'b'], '"quoted"'], [['c', 'd'], 'padded']]);
  assert.deepEqual(pairs('a\\.b.c = 1\n\ta.x\t=\ttab\n'), [[['a.b', 'c'], '1'], [['a', 'x'], 'tab']]);
  assert.deepEqual(pairs('{{ additional }}\nnode.dir = {{ platform_data_dir }}\n'), [[['node', 'dir'], '{{ platform_data_dir }}']]);
  assert.deepEqual(pairs('q = select x where u = \'$all\'\nl = cn=root,dc=io'), [[['q'], "select x where u = '$all'"], [['l'], 'cn=root,dc=io']]);
  assert.deepEqual(pairs('include = x\n'), [[['include'], 'x']]);
  assert.deepEqual(pairs('k@x/y:z.w-1_2 = 1\n'), [[['k@x/y:z', 'w-1_2'], '1']]);
});

test('errors are problems with lines, other lines still read', () => {
  assert.deepEqual(codes('a.b =\nc = 1\nd.e =   \n'), [['conf-empty-value', 1], ['conf-empty-value', 3]]);
  assert.deepEqual(codes('ok = 1\njustaword\na. b = 1\na.b value\n'), [['conf-syntax', 2], ['conf-syntax', 3], ['conf-syntax', 4]]);
  assert.deepEqual(codes('a = café\nb = 中文\n## 中文 comment\n'), [['conf-latin1', 2]]);
  assert.equal(parseConf('ok = 1\nbad\n', 'f').settings.length, 1);
});

test('duplicates: last value at the first position, earlier lines recorded', () => {
  const doc = parseConf('dup = first\nother = x\ndup = second\n', 'f');
  assert.deepEqual(doc.settings.map((s) => [s.key, s.value, s.location.line]), [['dup', 'second', 3], ['other', 'x', 2]]);
  assert.deepEqual(doc.settings[0]?.overridden, [{ file: 'f', line: 1 }]);
});

test('$(key) substitution, missing keys and cycles', () => {
  assert.deepEqual(pairs('a.b = $(c.d)!\nc.d = hi\n'), [[['a', 'b'], 'hi!'], [['c', 'd'], 'hi']]);
  assert.deepEqual(codes('a = $(nope)\n'), [['conf-substitution-missing', 1]]);
  assert.deepEqual(codes('a = $(b)\nb = $(a)\n').map((c) => c[0]), ['conf-substitution-cycle']);
});

test('renderConf writes key = value lines', () => {
  assert.equal(renderConf([{ key: 'a\\.b.c', value: 'x # y' }]), 'a\\.b.c = x # y\n');
});

test('readConfFile follows includes (including file wins, globs, no nested includes)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mr-conf-'));
  try {
    await mkdir(join(dir, 'etc', 'extra'), { recursive: true });
    await writeFile(join(dir, 'etc', 'emqx.conf'), 'a = main\ninclude etc/extra/*.conf\ninclude missing.conf\n');
    await writeFile(join(dir, 'etc', 'extra', '1.conf'), 'a = included\nb = from-1\ninclude other.conf\n');
    await writeFile(join(dir, 'etc', 'extra', '2.conf'), 'c = $(b)\n');
    const doc = await readConfFile(join(dir, 'etc', 'emqx.conf'), dir);
    assert.equal(doc.file, 'etc/emqx.conf');
    assert.deepEqual(doc.settings.map((s) => [s.key, s.value, s.location.file]), [
      ['a', 'main', 'etc/emqx.conf'],
      ['b', 'from-1', 'etc/extra/1.conf'],
      ['c', 'from-1', 'etc/extra/2.conf'],
    ]);
    assert.deepEqual(doc.problems.map((p) => [p.code, p.location.file, p.location.line]).sort(), [
      ['conf-include-missing', 'etc/emqx.conf', 3],
      ['conf-nested-include', 'etc/extra/1.conf', 3],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
