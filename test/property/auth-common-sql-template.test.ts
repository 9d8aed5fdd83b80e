import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ClientInfo } from '../../src/broker/hooks.js';
import {
  checkPassword,
  compileSqlTemplate,
  hashPassword,
  matchAclTopic,
  placeholderValues,
  sqlParams,
  substitute,
  type PasswordHashConfig,
} from '../../src/modules/auth-common/index.js';
import { matchTopic } from '../../src/broker/topic.js';

const LETTER_KEYS = { u: 'username', c: 'clientid', a: 'peerhost', C: 'cn', d: 'dn' } as const;
// SQL fragments without quotes or percent signs, so the only placeholders are the ones we insert.
const fragment = fc.stringMatching(/^[a-z0-9 =(),_<>*]{0,12}$/);
const letter = fc.constantFrom('u', 'c', 'a', 'C', 'd');

function client(username: string | undefined, clientId: string): ClientInfo {
  return {
    clientId, username, peerHost: '10.1.2.3', peerPort: 1, sockPort: 1883, listener: 'tcp',
    protoName: 'MQTT', protoVer: 5, keepalive: 0, cleanStart: true, expiryInterval: 0, connectedAt: 0, superuser: false,
  };
}

test('compileSqlTemplate: one bind parameter per quoted placeholder, the rest of the SQL unchanged', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fragment, letter), { maxLength: 6 }), fragment, fc.constantFrom('question', 'dollar'), (parts, tail, style) => {
      const template = parts.map(([f, l]) => `${f}'%${l}'`).join('') + tail;
      const { sql, params } = compileSqlTemplate(template, style as 'question' | 'dollar');
      assert.deepEqual(params, parts.map(([, l]) => LETTER_KEYS[l as keyof typeof LETTER_KEYS]));
      const expected = parts.map(([f], i) => f + (style === 'question' ? '?' : `$${i + 1}`)).join('') + tail;
      assert.equal(sql, expected);
      assert.ok(!sql.includes('%'));
    }),
  );
});

test('compiled SQL never contains a client-supplied value', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (username, clientId) => {
      const template = "select password from mqtt_user where username = '%u' or clientid = '%c'";
      const { sql, params } = compileSqlTemplate(template, 'question');
      const values = placeholderValues({ client: client(username, clientId) });
      assert.equal(sql, 'select password from mqtt_user where username = ? or clientid = ?');
      assert.deepEqual(sqlParams(params, values), [username, clientId]);
    }),
  );
});

test('substitute is the identity on text without %', () => {
  fc.assert(
    fc.property(fc.string().filter((s) => !s.includes('%')), (text) => {
      assert.equal(substitute(text, placeholderValues({ client: client('u', 'c') })), text);
    }),
  );
});

test('a %u level matches exactly the topic with the username in that level', () => {
  const level = fc.stringMatching(/^[a-z0-9]{1,6}$/);
  fc.assert(
    fc.property(fc.array(level, { maxLength: 3 }), level, fc.array(level, { maxLength: 3 }), level, (before, username, after, other) => {
      const pattern = [...before, '%u', ...after].join('/');
      const c = client(username, 'cid');
      assert.equal(matchAclTopic(pattern, c, [...before, username, ...after].join('/')), true);
      assert.equal(matchAclTopic(pattern, c, [...before, other, ...after].join('/')), other === username);
      // Same answer as the plain filter with the username written in.
      const topic = [...before, other, ...after].join('/');
      assert.equal(matchAclTopic(pattern, c, topic), matchTopic([...before, username, ...after].join('/'), topic));
    }),
  );
});

test('hashPassword / checkPassword round trip for every hex hash and salt position', async () => {
  const config = fc.record({
    name: fc.constantFrom('plain', 'md5', 'sha', 'sha256', 'sha512'),
    salt_position: fc.constantFrom('disable', 'prefix', 'suffix'),
  }) as fc.Arbitrary<PasswordHashConfig>;
  await fc.assert(
    fc.asyncProperty(config, fc.string(), fc.string(), fc.string(), async (cfg, password, salt, other) => {
      const stored = await hashPassword(cfg, password, salt);
      assert.equal(await checkPassword(cfg, password, stored, salt), true);
      if (other !== password) assert.equal(await checkPassword(cfg, other, stored, salt), false);
    }),
    { numRuns: 200 },
  );
});
