import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { aclFromClaims } from '../../src/modules/auth-jwt/acl-claim.js';
import { mismatchedClaim } from '../../src/modules/auth-jwt/claims-check.js';
import type { AuthJwtConfig } from '../../src/modules/auth-jwt/config.js';
import { derToRaw, normalizeEcdsaToken, rawToDer } from '../../src/modules/auth-jwt/der-signature.js';
import { authJwt } from '../../src/modules/auth-jwt/index.js';
import { TokenVerifier } from '../../src/modules/auth-jwt/verifier.js';

const client = (over: Partial<ClientInfo> = {}): ClientInfo => ({
  clientId: 'dev-1',
  username: 'alice',
  peerHost: '127.0.0.1',
  peerPort: 50000,
  sockPort: 1883,
  listener: 'tcp',
  protoName: 'MQTT',
  protoVer: 4,
  keepalive: 60,
  cleanStart: true,
  expiryInterval: 0,
  connectedAt: 0,
  superuser: false,
  ...over,
});

const now = (): number => Math.floor(Date.now() / 1000);
const sign = (claims: JWTPayload, alg: string, key: Parameters<SignJWT['sign']>[0], kid?: string): Promise<string> =>
  new SignJWT(claims).setProtectedHeader(kid ? { alg, kid } : { alg }).sign(key);
const hmac = (secret: string): Uint8Array => new TextEncoder().encode(secret);
const verifier = (over: Partial<ConstructorParameters<typeof TokenVerifier>[0]> = {}): TokenVerifier =>
  new TokenVerifier({ secret: '', pubkeyPem: '', signatureFormat: 'raw', jwks: undefined, ...over });

describe('ECDSA signature formats', () => {
  test('property: raw -> DER -> raw is the identity (ES256, ES384, ES512 sizes)', () => {
    fc.assert(
      fc.property(fc.constantFrom(32, 48, 66), fc.uint8Array({ minLength: 132, maxLength: 132 }), (size, bytes) => {
        const raw = bytes.subarray(0, size * 2);
        const der = rawToDer(raw);
        assert.equal(der[0], 0x30);
        assert.deepEqual(derToRaw(der, size), raw);
      }),
    );
  });

  test('not DER -> undefined; a raw-length signature is left alone', () => {
    assert.equal(derToRaw(Uint8Array.from([1, 2, 3]), 32), undefined);
    assert.equal(derToRaw(Uint8Array.from([0x30, 0x03, 0x02, 0x01]), 32), undefined);
    const token = `a.b.${Buffer.alloc(64, 7).toString('base64url')}`;
    assert.equal(normalizeEcdsaToken(token, 'ES256'), token);
    assert.equal(normalizeEcdsaToken('a.b.c', 'HS256'), 'a.b.c');
  });
});

describe('token verification (4.x outcomes)', () => {
  test('HMAC: right secret ok, wrong secret deny, not a token or no key -> ignore', async () => {
    const token = await sign({ sub: 'x' }, 'HS256', hmac('s3cret'));
    assert.equal((await verifier({ secret: 's3cret' }).verify(token)).kind, 'ok');
    assert.deepEqual(await verifier({ secret: 'other' }).verify(token), { kind: 'deny', reason: 'invalid signature' });
    assert.equal((await verifier({ secret: 's3cret' }).verify('just-a-password')).kind, 'ignore');
    assert.equal((await verifier({ secret: 's3cret' }).verify('a.b.c')).kind, 'ignore', 'not decodable');
    assert.equal((await verifier().verify(token)).kind, 'ignore', 'no secret configured');
  });

  test('exp in the past and nbf in the future deny; claims come back', async () => {
    const v = verifier({ secret: 'k' });
    assert.deepEqual(await v.verify(await sign({ exp: now() - 10 }, 'HS256', hmac('k'))), { kind: 'deny', reason: 'token expired' });
    assert.equal((await v.verify(await sign({ nbf: now() + 3600 }, 'HS256', hmac('k')))).kind, 'deny');
    const ok = await v.verify(await sign({ exp: now() + 60, username: 'alice' }, 'HS384', hmac('k')));
    assert.equal(ok.kind === 'ok' && ok.claims.username, 'alice');
  });

  test('RSA public key (PEM); an RS token with only a secret configured -> ignore', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const token = await sign({ sub: 'r' }, 'RS256', privateKey);
    assert.equal((await verifier({ pubkeyPem: pem, secret: 'also' }).verify(token)).kind, 'ok', 'any key that verifies');
    assert.equal((await verifier({ secret: 'only' }).verify(token)).kind, 'ignore');
    const other = await generateKeyPair('RS256', { extractable: true });
    assert.equal((await verifier({ pubkeyPem: await exportSPKI(other.publicKey) }).verify(token)).kind, 'deny');
  });

  test('ECDSA: JOSE raw signatures always verify; DER signatures only with signature_format der', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const token = await sign({ sub: 'e' }, 'ES256', privateKey);
    const dot = token.lastIndexOf('.');
    const derToken = `${token.slice(0, dot + 1)}${Buffer.from(rawToDer(Buffer.from(token.slice(dot + 1), 'base64url'))).toString('base64url')}`;
    assert.equal((await verifier({ pubkeyPem: pem, signatureFormat: 'der' }).verify(token)).kind, 'ok');
    assert.equal((await verifier({ pubkeyPem: pem, signatureFormat: 'der' }).verify(derToken)).kind, 'ok');
    assert.equal((await verifier({ pubkeyPem: pem, signatureFormat: 'raw' }).verify(token)).kind, 'ok');
    assert.equal((await verifier({ pubkeyPem: pem, signatureFormat: 'raw' }).verify(derToken)).kind, 'deny');
  });

  test('a PEM that is not a public key is refused at construction and by check()', () => {
    assert.throws(() => verifier({ pubkeyPem: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n' }));
    const problems = authJwt.check!({ ...baseConfig(), pubkey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n' });
    assert.deepEqual(problems.map((p) => p.pointer), ['/pubkey']);
  });
});

function baseConfig(): AuthJwtConfig {
  return {
    from: 'password',
    secret: 'k',
    pubkey: '',
    jwks_url: '',
    jwks_refresh_interval: '5m',
    signature_format: 'der',
    verify_claims: false,
    claims: {},
    acl_claim_name: 'acl',
    on_backend_error: 'ignore',
  };
}

describe('auth-jwt check()', () => {
  test('valid config: no problems; a bad JWKS URL and a zero interval are refused', () => {
    assert.deepEqual(authJwt.check!(baseConfig()), []);
    const problems = authJwt.check!({ ...baseConfig(), jwks_url: 'not a url', jwks_refresh_interval: '0s' });
    assert.deepEqual(problems.map((p) => p.pointer).sort(), ['/jwks_refresh_interval', '/jwks_url']);
  });
});

describe('verify_claims', () => {
  test('%u and %c stand for the username and client id; literal values compare as text', () => {
    const expected = { username: '%u', clientid: '%c', tenant: 't1' };
    assert.equal(mismatchedClaim(expected, { username: 'alice', clientid: 'dev-1', tenant: 't1' }, client()), undefined);
    assert.equal(mismatchedClaim(expected, { username: 'bob', clientid: 'dev-1', tenant: 't1' }, client()), 'username');
    assert.equal(mismatchedClaim({ tenant: 't1' }, {}, client()), 'tenant', 'a missing claim fails');
    assert.equal(mismatchedClaim({ level: '3' }, { level: 3 }, client()), undefined);
    assert.equal(mismatchedClaim({ username: '%u' }, { username: '' }, client({ username: undefined })), 'username');
  });
});

describe('ACL claim (4.4 shape)', () => {
  const claims = { acl: { pub: ['up/%c/#'], sub: ['down/%u/+', 'cfg/#'], all: ['shared/x'] } };
  const decide = (action: 'publish' | 'subscribe', topic: string, c: Record<string, unknown> = claims, who = client()): string =>
    aclFromClaims(c, 'acl', who, action, topic, Date.now()).result;

  test('publish: all or pub; subscribe: all or sub; anything else denied', () => {
    assert.equal(decide('publish', 'up/dev-1/temp'), 'allow');
    assert.equal(decide('publish', 'up/dev-2/temp'), 'deny');
    assert.equal(decide('publish', 'shared/x'), 'allow');
    assert.equal(decide('publish', 'down/alice/1'), 'deny', 'sub rules do not allow publish');
    assert.equal(decide('subscribe', 'down/alice/1'), 'allow');
    assert.equal(decide('subscribe', 'down/alice/+'), 'allow', 'a filter equal to the rule');
    assert.equal(decide('subscribe', 'cfg/a/b'), 'allow');
    assert.equal(decide('subscribe', 'up/dev-1/temp'), 'deny');
    assert.equal(decide('subscribe', 'shared/x'), 'allow');
  });

  test('no claim -> ignore; expired token -> deny; %u without a username never matches; other claim name', () => {
    assert.equal(decide('publish', 'up/dev-1/t', { sub: 'x' }), 'ignore');
    assert.equal(decide('publish', 'up/dev-1/t', { ...claims, exp: now() - 1 }), 'deny');
    assert.equal(decide('subscribe', 'down/alice/1', claims, client({ username: undefined })), 'deny');
    assert.equal(aclFromClaims({ perms: claims.acl }, 'perms', client(), 'publish', 'shared/x', Date.now()).result, 'allow');
  });
});
