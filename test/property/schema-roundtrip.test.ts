import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSchemaCatalog } from '../../src/schema/schema-catalog.js';
import { formatPointer, parsePointer } from '../../src/schema/json-pointer.js';
import { locateJsonPointer } from '../../src/schema/source-map.js';
import { redactSecrets } from '../../src/schema/redact.js';

const catalog = await createSchemaCatalog();

const duration = fc.tuple(fc.nat({ max: 100000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd')).map(([n, u]) => `${n}${u}`);
const settings = fc.record(
  {
    allow_anonymous: fc.boolean(),
    acl_nomatch: fc.constantFrom('allow', 'deny'),
    acl_deny_action: fc.constantFrom('ignore', 'disconnect'),
    acl_cache: fc.record({ enable: fc.boolean(), max_size: fc.integer({ min: 1, max: 1_000_000 }), ttl: duration }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);
const clusterDoc = fc.record({ version: fc.constant(1), settings }, { requiredKeys: ['version'] });

test('valid cluster settings validate, and defaults are idempotent', () => {
  fc.assert(
    fc.property(clusterDoc, (doc) => {
      const first = catalog.validateCluster(doc);
      assert.ok(first.ok, JSON.stringify(first));
      const second = catalog.validateCluster(first.value);
      assert.ok(second.ok);
      assert.deepEqual(second.value, first.value);
      assert.deepEqual(Object.keys((first.value as { settings: object }).settings).sort(), ['acl_cache', 'acl_deny_action', 'acl_nomatch', 'allow_anonymous']);
    }),
  );
});

test('JSON pointer format/parse round trip, including ~ and /', () => {
  const segment = fc.string({ unit: fc.constantFrom('a', '~', '/', '0', '1', 'é', ' ') });
  fc.assert(
    fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
      assert.deepEqual(parsePointer(formatPointer(segments)), segments);
    }),
  );
});

// Objects with distinct simple keys, so every leaf sits on its own line when pretty-printed.
const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/);
const leaf = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 8 }));
const tree = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.dictionary(key, tie('node'), { maxKeys: 4, noNullPrototype: true }),
    fc.array(tie('node'), { maxLength: 4 }),
  ),
})).node;

function leaves(value: unknown, path: string[] = []): string[][] {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    return entries.flatMap(([k, v]) => leaves(v, [...path, k]));
  }
  return [path];
}

test('the JSON source map finds the line of every leaf of a pretty-printed document', () => {
  fc.assert(
    fc.property(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 4, noNullPrototype: true }), (doc) => {
      const text = JSON.stringify(doc, null, 2);
      const lines = text.split('\n');
      for (const path of leaves(doc)) {
        const at = locateJsonPointer(text, formatPointer(path));
        assert.ok(at);
        const line = lines[at.line - 1] as string;
        const last = path[path.length - 1] as string;
        const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], doc);
        if (Array.isArray(parent)) {
          // an array item: the line holds the value itself
          assert.equal(line.trim().replace(/,$/, ''), JSON.stringify((parent as unknown[])[Number(last)]));
        } else {
          assert.ok(line.trimStart().startsWith(`${JSON.stringify(last)}:`), `${formatPointer(path)} -> ${line}`);
          assert.equal(at.column, line.length - line.trimStart().length + 1);
        }
      }
    }),
  );
});

test('redactSecrets never mutates its input and is idempotent', () => {
  fc.assert(
    fc.property(fc.dictionary(key, tree, { maxKeys: 4, noNullPrototype: true }), fc.array(fc.array(fc.oneof(key, fc.constant('*')), { minLength: 1, maxLength: 3 }).map(formatPointer), { maxLength: 3 }), (doc, pointers) => {
      const before = structuredClone(doc);
      const once = redactSecrets(doc, pointers);
      assert.deepEqual(doc, before);
      assert.deepEqual(redactSecrets(once, pointers), once);
    }),
  );
});
