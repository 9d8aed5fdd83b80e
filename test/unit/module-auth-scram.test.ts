import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authScram, type AuthScramConfig } from '../../src/modules/auth-scram/index.js';
import { checkConfig } from '../../src/modules/auth-scram/config.js';
import { CredentialTable } from '../../src/modules/auth-scram/credentials.js';
import { ScramSession } from '../../src/modules/auth-scram/session.js';
import {
  MECHANISMS,
  type Mechanism,
  ScramClient,
  deriveKeys,
  escapeName,
  parseClientFinal,
  parseClientFirst,
  unescapeName,
} from '../../src/modules/auth-scram/scram.js';
import type { EnhancedAuthStep } from '../../src/broker/hooks.js';

test('RFC 5802 SCRAM-SHA-1 test vector', async () => {
  const client = new ScramClient('SCRAM-SHA-1', 'user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
  assert.equal(client.first(), 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
  const serverFirst = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';
  assert.equal(await client.final(serverFirst), 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
  assert.ok(client.verify('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='));
});

test('RFC 7677 SCRAM-SHA-256 test vector', async () => {
  const client = new ScramClient('SCRAM-SHA-256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
  client.first();
  const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
  assert.equal(
    await client.final(serverFirst),
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  );
  assert.ok(client.verify('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='));
});

test('saslname escaping round-trips; a stray = is refused', () => {
  fc.assert(fc.property(fc.string({ minLength: 1 }), (name) => unescapeName(escapeName(name)) === name));
  assert.equal(unescapeName('a=2Cb=3D'), 'a,b=');
  assert.equal(unescapeName('a=b'), undefined);
});

test('client-first parsing: gs2 header, user, nonce; channel binding and m= refused', () => {
  assert.deepEqual(parseClientFirst('n,,n=alice,r=abc'), { gs2Header: 'n,,', bare: 'n=alice,r=abc', username: 'alice', nonce: 'abc' });
  assert.equal(parseClientFirst('y,a=admin,n=bob,r=x')?.username, 'bob');
  assert.equal(parseClientFirst('p=tls-unique,,n=a,r=b'), undefined);
  assert.equal(parseClientFirst('n,,m=ext,n=a,r=b'), undefined);
  assert.equal(parseClientFirst('n,,r=b,n=a'), undefined);
  assert.equal(parseClientFirst('n,,n=,r=b'), undefined);
  assert.equal(parseClientFirst('garbage'), undefined);
  assert.equal(parseClientFinal('c=biws,r=abc'), undefined, 'no proof');
  assert.equal(parseClientFinal('c=biws,r=abc,p=!!'), undefined, 'proof not base64');
});

async function exchange(table: CredentialTable, mechanism: Mechanism, user: string, password: string): Promise<{ step: EnhancedAuthStep; verified: boolean }> {
  const session = new ScramSession(mechanism, table, Buffer.alloc(32, 7), 16);
  const client = new ScramClient(mechanism, user, password, 'clientnonce');
  const first = session.step(Buffer.from(client.first())) as EnhancedAuthStep;
  assert.equal(first.result, 'continue');
  const final = await client.final(String((first as { data: Buffer }).data));
  const step = session.step(Buffer.from(final)) as EnhancedAuthStep;
  const verified = step.result === 'allow' && step.data !== undefined && client.verify(String(step.data));
  return { step, verified };
}

test('property: any user/password pair authenticates with every mechanism; another password does not', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.constantFrom(...MECHANISMS),
      async (username, password, mechanism) => {
        const table = await CredentialTable.build({ mechanisms: [...MECHANISMS], iteration_count: 2, on_backend_error: 'ignore', users: [{ username, password }] });
        const good = await exchange(table, mechanism, username, password);
        assert.equal(good.step.result, 'allow');
        assert.ok(good.verified);
        const bad = await exchange(table, mechanism, username, `${password}x`);
        assert.deepEqual([bad.step.result, (bad.step as { reasonCode?: number }).reasonCode], ['deny', 0x86]);
      },
    ),
    { numRuns: 30 },
  );
});

test('unknown user gets a plausible, stable server-first and fails like a wrong password', async () => {
  const table = await CredentialTable.build({ mechanisms: ['SCRAM-SHA-256'], iteration_count: 4, on_backend_error: 'ignore', users: [] });
  const salts = [];
  for (let i = 0; i < 2; i++) {
    const session = new ScramSession('SCRAM-SHA-256', table, Buffer.alloc(32, 1), 4);
    const step = session.step(Buffer.from('n,,n=ghost,r=abc')) as { result: string; data: Buffer };
    assert.equal(step.result, 'continue');
    salts.push(/,s=([^,]+),/.exec(String(step.data))![1]);
  }
  assert.equal(salts[0], salts[1]);
  const { step } = await exchange(table, 'SCRAM-SHA-256', 'ghost', 'pw');
  assert.deepEqual(step, { result: 'deny', reasonCode: 0x86, reason: 'bad username or password' });
});

test('session refuses missing data, a tampered nonce and steps after the end', async () => {
  const table = await CredentialTable.build({ mechanisms: ['SCRAM-SHA-1'], iteration_count: 2, on_backend_error: 'ignore', users: [{ username: 'a', password: 'p' }] });
  const missing = new ScramSession('SCRAM-SHA-1', table, Buffer.alloc(32), 2).step(undefined) as { result: string; reasonCode: number };
  assert.deepEqual([missing.result, missing.reasonCode], ['deny', 0x87]);
  const session = new ScramSession('SCRAM-SHA-1', table, Buffer.alloc(32), 2);
  session.step(Buffer.from('n,,n=a,r=abc'));
  const tampered = session.step(Buffer.from('c=biws,r=abcOTHER,p=AAAA')) as { result: string; reasonCode: number };
  assert.deepEqual([tampered.result, tampered.reasonCode], ['deny', 0x87]);
  assert.equal((session.step(Buffer.from('x')) as { result: string }).result, 'deny');
});

test('check(): one credential form per user, base64 keys of the right size, enabled mechanism, unique users', async () => {
  const keys = await deriveKeys('SCRAM-SHA-1', 'pw', Buffer.from('salt'), 8);
  const imported = { username: 'old', salt: 'c2FsdA==', stored_key: keys.storedKey.toString('base64'), server_key: keys.serverKey.toString('base64'), iteration_count: 8 };
  const base: AuthScramConfig = { mechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-256'], iteration_count: 8, on_backend_error: 'ignore' };
  assert.deepEqual(checkConfig({ ...base, users: [imported, { username: 'new', password: 'x' }] }), []);
  const kw = (users: NonNullable<AuthScramConfig['users']>, b = base): string[] => checkConfig({ ...b, users }).map((p) => p.keyword);
  assert.deepEqual(kw([{ username: 'a' }]), ['scram-credential']);
  assert.deepEqual(kw([{ ...imported, password: 'x' }]), ['scram-credential']);
  assert.deepEqual(kw([{ ...imported, stored_key: 'not base64!' }]), ['base64']);
  assert.deepEqual(kw([{ ...imported, mechanism: 'SCRAM-SHA-256' }]), ['scram-key-size', 'scram-key-size']);
  assert.deepEqual(kw([imported], { ...base, mechanisms: ['SCRAM-SHA-256'] }), ['scram-mechanism']);
  assert.deepEqual(kw([{ username: 'a', password: 'x' }, { username: 'a', password: 'y' }]), ['unique']);
  assert.equal(authScram.check!({ ...base, users: [{ username: 'a' }] }).length, 1);
});
