import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonSyntaxError, locateJsonPointer, locateProblems } from '../../src/schema/source-map.js';
import { locateHoconPointer } from '../../src/schema/hocon-locator.js';

const json = `{
  "settings": {
    "acl_cache": { "ttl": "x" }
  },
  "modules": [
    { "id": "a" },
    {
      "id": "b",
      "config": { "a/b": 1 }
    }
  ]
}`;

test('JSON: pointers map to the key position, array items to the item', () => {
  assert.deepEqual(locateJsonPointer(json, '/settings/acl_cache/ttl'), { line: 3, column: 20 });
  assert.deepEqual(locateJsonPointer(json, '/modules/1'), { line: 7, column: 5 });
  assert.deepEqual(locateJsonPointer(json, '/modules/1/config/a~1b'), { line: 9, column: 19 });
  assert.deepEqual(locateJsonPointer(json, ''), { line: 1, column: 1 });
});

test('JSON: a missing property is located at its parent object', () => {
  assert.deepEqual(locateJsonPointer(json, '/modules/0/type'), { line: 6, column: 5 });
  assert.deepEqual(locateJsonPointer(json, '/settings/acl_cache/max_size'), { line: 3, column: 5 });
  assert.deepEqual(locateJsonPointer(json, '/modules/9/x'), { line: 5, column: 3 });
});

test('JSON: syntax errors give line and column', () => {
  assert.deepEqual(jsonSyntaxError('{\n  "a": 1,\n  "b" 2\n}'), { line: 3, column: 7, message: 'colon expected' });
  assert.equal(jsonSyntaxError('{"a": [1, 2]}'), undefined);
});

const hocon = `# node
node.name = "n1"
listeners {
  tcp { port = 1883, bind = "0.0.0.0" }
  "ws.x" = { path = "/mqtt" }   // comment
}
modules = [
  { id = a, config { qos = 1 } }
  {
    id = b
    url = "http://x/{y}"
    config { qos = 3 }
  }
]
`;

test('HOCON: path keys, nested objects, quoted keys', () => {
  assert.deepEqual(locateHoconPointer(hocon, '/node/name'), { line: 2, column: 1 });
  assert.deepEqual(locateHoconPointer(hocon, '/listeners/tcp/bind'), { line: 4, column: 22 });
  assert.deepEqual(locateHoconPointer(hocon, '/listeners/ws.x/path'), { line: 5, column: 14 });
});

test('HOCON: array items are counted, braces in strings ignored', () => {
  assert.deepEqual(locateHoconPointer(hocon, '/modules/0/config/qos'), { line: 8, column: 22 });
  assert.deepEqual(locateHoconPointer(hocon, '/modules/1'), { line: 9, column: 3 });
  assert.deepEqual(locateHoconPointer(hocon, '/modules/1/config/qos'), { line: 12, column: 14 });
});

test('HOCON: missing keys fall back to the nearest ancestor, the root to 1:1', () => {
  assert.deepEqual(locateHoconPointer(hocon, '/listeners/tcp/enable'), { line: 4, column: 3 });
  assert.deepEqual(locateHoconPointer(hocon, '/api/port'), { line: 1, column: 1 });
  assert.deepEqual(locateHoconPointer('{\n  a = 1\n}\n', '/a'), { line: 2, column: 3 });
});

test('locateProblems fills file, line and column', () => {
  const located = locateProblems([{ pointer: '/node/name', keyword: 'type', message: 'm' }], hocon, 'hocon', 'f.conf');
  assert.deepEqual(located, [{ pointer: '/node/name', keyword: 'type', message: 'm', file: 'f.conf', line: 2, column: 1 }]);
});
