import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseAclConf } from '../../src/migrator/readers/acl-conf.js';
import { parseConf, renderConf } from '../../src/migrator/readers/cuttlefish.js';
import { parseEeExport } from '../../src/migrator/readers/ee-export.js';
import { consultTerms, renderTerm, type ErlTerm } from '../../src/migrator/readers/erlang-terms.js';
import { parseLoadedList } from '../../src/migrator/readers/loaded-list.js';
import { parsePskFile } from '../../src/migrator/readers/psk.js';

// Keys: words of [A-Za-z0-9_@/:-] (a dot inside a word escaped); values: Latin-1, no newline, no blank ends, no `$(`.
const word = fc.stringMatching(/^[A-Za-z0-9_@/:.-]{1,8}$/).map((w) => w.replace(/\./g, '\\.'));
const confKey = fc.array(word, { minLength: 1, maxLength: 4 }).map((ws) => ws.join('.')).filter((k) => k !== 'include');
const latin1 = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 30 });
const confValue = latin1.filter((v) => v.trim() === v && v !== '' && !v.includes('$('));
const lines = fc.uniqueArray(fc.tuple(confKey, confValue).map(([key, value]) => ({ key, value })), { selector: (l) => l.key, maxLength: 12 });

test('cuttlefish: parseConf(renderConf(lines)) reproduces the lines', () => {
  fc.assert(
    fc.property(lines, (ls) => {
      const doc = parseConf(renderConf(ls), 'f');
      assert.deepEqual(doc.problems, []);
      assert.deepEqual(doc.settings.map((s) => ({ key: s.key, value: s.value })), ls);
      assert.deepEqual(doc.settings.map((s) => s.location.line), ls.map((_, i) => i + 1));
    }),
    { numRuns: 300 },
  );
});

const atomName = fc.oneof(fc.stringMatching(/^[a-z][A-Za-z0-9_@]{0,6}$/), fc.string({ maxLength: 6 }));
const text = fc.string({ maxLength: 8 });
const { term } = fc.letrec<{ term: ErlTerm }>((tie) => ({
  term: fc.oneof(
    { depthSize: 'small' },
    atomName.map((value) => ({ type: 'atom', value, line: 1 }) as ErlTerm),
    text.map((value) => ({ type: 'string', value, line: 1 }) as ErlTerm),
    fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 6 }).map((value) => ({ type: 'binary', value, line: 1 }) as ErlTerm),
    fc.integer().map((value) => ({ type: 'integer', value, line: 1 }) as ErlTerm),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)).map((value) => ({ type: 'float', value, line: 1 }) as ErlTerm),
    fc.array(tie('term'), { maxLength: 3 }).map((items) => ({ type: 'tuple', items, line: 1 }) as ErlTerm),
    fc.array(tie('term'), { maxLength: 3 }).map((items) => ({ type: 'list', items, line: 1 }) as ErlTerm),
  ),
}));

/** Drops line numbers (rendered terms are on one line each anyway). */
const strip = (t: ErlTerm): unknown =>
  t.type === 'tuple' || t.type === 'list' ? { type: t.type, items: t.items.map(strip) } : { type: t.type, value: (t as { value: unknown }).value };

test('erlang terms: consult(render(terms)) gives the terms back, one line each', () => {
  fc.assert(
    fc.property(fc.array(term, { maxLength: 5 }), (terms) => {
      const r = consultTerms(terms.map((t) => `${renderTerm(t)}.\n`).join(''), 'f');
      assert.deepEqual(r.problems, []);
      assert.deepEqual(r.terms.map((e) => strip(e.term)), terms.map(strip));
      assert.deepEqual(r.terms.map((e) => e.location.line), terms.map((_, i) => i + 1));
    }),
    { numRuns: 300 },
  );
});

// Random and mangled input: every reader returns problems, never throws.
const mangled = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.tuple(fc.array(term, { maxLength: 4 }), fc.nat(), fc.nat({ max: 5 })).map(([ts, at, n]) => {
    const s = ts.map((t) => `${renderTerm(t)}.\n`).join('');
    const i = s.length ? at % s.length : 0;
    return s.slice(0, i) + s.slice(i + n);
  }),
  lines.chain((ls) => fc.nat().map((at) => { const s = renderConf(ls); return s.slice(0, at % (s.length + 1)) + '= {"\n' + s.slice(at % (s.length + 1)); })),
);

test('readers never throw on random or mangled input', () => {
  fc.assert(
    fc.property(mangled, (input) => {
      parseConf(input, 'f');
      consultTerms(input, 'f');
      parseAclConf(input, 'f', '4.2');
      parseLoadedList(input, 'f', 'plugins');
      parseLoadedList(input, 'f', 'modules', '4.3.1');
      parsePskFile(input, 'f');
      parseEeExport(input, 'f');
    }),
    { numRuns: 500 },
  );
});
