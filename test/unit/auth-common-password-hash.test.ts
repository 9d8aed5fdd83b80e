import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { checkPassword, hashPassword, type PasswordHashConfig } from '../../src/modules/auth-common/index.js';
import { md4 } from '../../src/modules/auth-common/md4.js';

const hex = (algo: string, text: string): string => createHash(algo).update(text).digest('hex');

test('plain and unsalted digests are the lower-case hex 4.x stored', async () => {
  assert.equal(await hashPassword({ name: 'plain' }, 'public'), 'public');
  assert.equal(await hashPassword({ name: 'md5' }, 'public'), hex('md5', 'public'));
  assert.equal(await hashPassword({ name: 'sha' }, 'public'), hex('sha1', 'public'));
  // The 4.x docs' example row: sha256("public").
  assert.equal(await hashPassword({ name: 'sha256' }, 'public'), 'efa1f375d76194fa51a3556a97e641e61685f914d446979da50a551a4333ffd7');
  assert.equal(await hashPassword({ name: 'sha512' }, 'public'), hex('sha512', 'public'));
});

test('salt prefix hashes salt + password, suffix password + salt', async () => {
  assert.equal(await hashPassword({ name: 'sha256', salt_position: 'prefix' }, 'pw', 'salt'), hex('sha256', 'saltpw'));
  assert.equal(await hashPassword({ name: 'sha256', salt_position: 'suffix' }, 'pw', 'salt'), hex('sha256', 'pwsalt'));
  assert.equal(await hashPassword({ name: 'md5', salt_position: 'disable' }, 'pw', 'salt'), hex('md5', 'pw'));
  assert.equal(await hashPassword({ name: 'plain', salt_position: 'prefix' }, 'pw', 'salt'), 'saltpw');
});

test('checkPassword: right and wrong password for every digest and salt position', async () => {
  for (const name of ['plain', 'md5', 'sha', 'sha256', 'sha512'] as const) {
    for (const salt_position of ['disable', 'prefix', 'suffix'] as const) {
      const config: PasswordHashConfig = { name, salt_position };
      const stored = await hashPassword(config, 'secret', 'NaCl');
      assert.equal(await checkPassword(config, 'secret', stored, 'NaCl'), true, `${name} ${salt_position}`);
      assert.equal(await checkPassword(config, 'Secret', stored, 'NaCl'), false, `${name} ${salt_position} wrong`);
      if (salt_position !== 'disable') assert.equal(await checkPassword(config, 'secret', stored, 'other'), false);
    }
  }
});

test('hex digests compare case-insensitively; plain is exact', async () => {
  const stored = hex('sha256', 'pw').toUpperCase();
  assert.equal(await checkPassword({ name: 'sha256' }, 'pw', stored), true);
  assert.equal(await checkPassword({ name: 'plain' }, 'pw', 'PW'), false);
});

test('bcrypt: salt embedded in the stored hash, $2a/$2b/$2y accepted, salt,bcrypt uses the salt column', async () => {
  const stored = await bcrypt.hash('public', 4);
  assert.equal(await checkPassword({ name: 'bcrypt' }, 'public', stored), true);
  assert.equal(await checkPassword({ name: 'bcrypt' }, 'nope', stored), false);
  assert.equal(await checkPassword({ name: 'bcrypt' }, 'public', stored.replace(/^\$2[ab]\$/, '$2y$')), true);
  const salt = await bcrypt.genSalt(4);
  const saltedStored = await hashPassword({ name: 'bcrypt' }, 'public', salt);
  assert.ok(saltedStored.startsWith(salt));
  assert.equal(await checkPassword({ name: 'bcrypt', salt_position: 'prefix' }, 'public', saltedStored, salt), true);
  assert.equal(await checkPassword({ name: 'bcrypt', salt_position: 'prefix' }, 'x', saltedStored, salt), false);
  // A malformed stored hash is a mismatch, not a crash.
  assert.equal(await checkPassword({ name: 'bcrypt' }, 'public', 'not-a-hash'), false);
  const generated = await hashPassword({ name: 'bcrypt' }, 'pw');
  assert.equal(await checkPassword({ name: 'bcrypt' }, 'pw', generated), true);
});

test('pbkdf2 matches RFC 6070 (HMAC-SHA1) and OpenSSL (HMAC-MD4, legacy provider) vectors', async () => {
  const sha1: PasswordHashConfig = { name: 'pbkdf2', mac_fun: 'sha', iterations: 1, dk_length: 20 };
  assert.equal(await hashPassword(sha1, 'password', 'salt'), '0c60c80f961f0e71f3a9b524af6012062fe037a6');
  assert.equal(
    await hashPassword({ ...sha1, iterations: 4096 }, 'password', 'salt'),
    '4b007901b765489abead49d926f721d065a429c1',
  );
  const md4Config: PasswordHashConfig = { name: 'pbkdf2', mac_fun: 'md4', iterations: 3, dk_length: 40 };
  const expected = '55451f6c9583ed745b58359e6e3197ec4ef0ba12f00416c6902e49bd274b0908c67176829d48a880';
  assert.equal(await hashPassword(md4Config, 'password', 'salt'), expected);
  assert.equal(await checkPassword(md4Config, 'password', expected, 'salt'), true);
  assert.equal(await checkPassword(md4Config, 'password', expected, 'pepper'), false);
  for (const mac_fun of ['md5', 'ripemd160', 'sha224', 'sha256', 'sha384', 'sha512'] as const) {
    const config: PasswordHashConfig = { name: 'pbkdf2', mac_fun, iterations: 2, dk_length: 24 };
    const stored = await hashPassword(config, 'pw', 's');
    assert.equal(stored.length, 48);
    assert.equal(await checkPassword(config, 'pw', stored, 's'), true);
    assert.equal(await checkPassword(config, 'pw2', stored, 's'), false);
  }
});

test('md4 matches the RFC 1320 test suite', () => {
  const cases: Array<[string, string]> = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of cases) assert.equal(md4(Buffer.from(input)).toString('hex'), digest);
});
