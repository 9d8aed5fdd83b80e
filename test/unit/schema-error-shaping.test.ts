import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAjv } from '../../src/schema/ajv.js';
import { shapeErrors } from '../../src/schema/error-shaping.js';

function problemsFor(schema: object, data: unknown) {
  const ajv = createAjv();
  const validate = ajv.compile(schema);
  assert.equal(validate(structuredClone(data)), false);
  return shapeErrors(validate.errors);
}

test('required points at the missing property with a human message', () => {
  const problems = problemsFor({ type: 'object', required: ['qos'], properties: { qos: { type: 'integer' } } }, {});
  assert.deepEqual(problems, [{ pointer: '/qos', keyword: 'required', message: "must have required property 'qos'" }]);
});

test('required inside nested objects keeps the parent path', () => {
  const schema = { type: 'object', properties: { a: { type: 'object', required: ['b/c'], properties: { 'b/c': { type: 'string' } } } } };
  const problems = problemsFor(schema, { a: {} });
  assert.equal(problems[0]?.pointer, '/a/b~1c');
});

test('enum lists the allowed values; const shows the constant', () => {
  const problems = problemsFor({ type: 'object', properties: { m: { enum: ['a', 'b', 3] }, v: { const: 1 } } }, { m: 'x', v: 2 });
  assert.deepEqual(problems.map((p) => p.message), ["must be equal to one of the allowed values: 'a', 'b', 3", 'must be equal to constant 1']);
});

test('additionalProperties points at the extra property', () => {
  const problems = problemsFor({ type: 'object', additionalProperties: false, properties: {} }, { oops: 1 });
  assert.deepEqual(problems, [{ pointer: '/oops', keyword: 'additionalProperties', message: "must NOT have additional property 'oops'" }]);
});

test('pattern failures of titled definitions name them with examples', () => {
  const problems = problemsFor({ title: 'duration', type: 'string', pattern: '^[0-9]+s$', examples: ['5s'] }, 'x');
  assert.deepEqual(problems, [{ pointer: '', keyword: 'pattern', message: 'must be a valid duration (e.g. "5s")' }]);
});

test('anyOf of scalar types collapses into one problem', () => {
  const problems = problemsFor({ anyOf: [{ type: 'integer' }, { type: 'string' }] }, true);
  assert.deepEqual(problems, [{ pointer: '', keyword: 'type', message: 'must be integer or string' }]);
});

test('anyOf of a type and a constant lists both', () => {
  const problems = problemsFor({ anyOf: [{ type: 'integer', minimum: 1 }, { const: 'auto' }] }, 'x');
  assert.deepEqual(problems, [{ pointer: '', keyword: 'anyOf', message: "must be integer or 'auto'" }]);
});

test('oneOf with a discriminator reports only the matching branch', () => {
  const schema = {
    oneOf: [
      { type: 'object', required: ['kind', 'user'], properties: { kind: { const: 'basic' }, user: { type: 'string' } } },
      { type: 'object', required: ['kind', 'key'], properties: { kind: { const: 'key' }, key: { type: 'string', minLength: 8 } } },
    ],
  };
  assert.deepEqual(problemsFor(schema, { kind: 'key', key: 'short' }), [
    { pointer: '/key', keyword: 'minLength', message: 'must NOT have fewer than 8 characters' },
  ]);
  assert.deepEqual(problemsFor(schema, { kind: 'basic' }), [{ pointer: '/user', keyword: 'required', message: "must have required property 'user'" }]);
});

test('nested combinators inside arrays stay under their item', () => {
  const schema = { type: 'array', items: { anyOf: [{ type: 'integer' }, { type: 'null' }] } };
  assert.deepEqual(problemsFor(schema, [1, 'x', null, {}]).map((p) => [p.pointer, p.message]), [
    ['/1', 'must be integer or null'],
    ['/3', 'must be integer or null'],
  ]);
});

test('if/then reports the then errors, not the wrapper', () => {
  const schema = { type: 'object', if: { properties: { on: { const: true } }, required: ['on'] }, then: { required: ['url'] } };
  assert.deepEqual(problemsFor(schema, { on: true }), [{ pointer: '/url', keyword: 'required', message: "must have required property 'url'" }]);
});

test('a prefix is prepended and duplicates are removed', () => {
  const ajv = createAjv();
  const validate = ajv.compile({ type: 'object', required: ['a'] });
  validate({});
  const errors = [...(validate.errors ?? []), ...(validate.errors ?? [])];
  assert.deepEqual(shapeErrors(errors, '/modules/0/config'), [{ pointer: '/modules/0/config/a', keyword: 'required', message: "must have required property 'a'" }]);
  assert.deepEqual(shapeErrors(null), []);
});
