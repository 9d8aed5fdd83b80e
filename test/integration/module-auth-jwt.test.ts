/**
 * auth-jwt through a real broker with MQTT.js clients; a local http server serves the JWKS (and
 * rotates it). A last "fallback" module refuses every client with 0x86, so a JWT `ignore` (0x86)
 * is told apart from a JWT `deny` (0x87).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type JWK, SignJWT, type JWTPayload } from 'jose';
import type { HookScope } from '../../src/broker/hooks.js';
import { authJwt, type AuthJwtConfig } from '../../src/modules/auth-jwt/index.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { moduleContext } from '../helpers/module-context.js';
import { connectError, type Harness, nextMessages, startHarness, subscribeGranted, waitFor } from '../helpers/mqtt-harness.js';

type PrivateKey = Parameters<SignJWT['sign']>[0];

interface JwksServer {
  url: string;
  keys: JWK[];
  fetches: number;
  close(): Promise<void>;
}

async function startJwks(keys: JWK[]): Promise<JwksServer> {
  const state: JwksServer = { url: '', keys, fetches: 0, close: async () => undefined };
  const server = http.createServer((_req, res) => {
    state.fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

async function rsaKey(kid: string): Promise<{ jwk: JWK; privateKey: PrivateKey }> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, privateKey };
}

const now = (): number => Math.floor(Date.now() / 1000);
const SECRET = new TextEncoder().encode('hmac-secret');
const hs = (claims: JWTPayload, secret = SECRET): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret);
const rs = (claims: JWTPayload, key: PrivateKey, kid: string): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(key);

function config(over: Partial<AuthJwtConfig> = {}): AuthJwtConfig {
  return {
    from: 'password',
    secret: 'hmac-secret',
    pubkey: '',
    jwks_url: '',
    jwks_refresh_interval: '5m',
    signature_format: 'der',
    verify_claims: false,
    claims: {},
    acl_claim_name: 'acl',
    on_backend_error: 'ignore',
    ...over,
  };
}

describe('auth-jwt over MQTT', () => {
  let h: Harness;
  let fallback: HookScope;
  let instance: ModuleInstance<AuthJwtConfig> | undefined;
  const start = async (cfg: AuthJwtConfig): Promise<ModuleInstance<AuthJwtConfig>> => {
    await instance?.stop();
    instance = await authJwt.create(moduleContext(h.broker, 'jwt'), cfg);
    return instance;
  };
  const code = async (password: string, over: Record<string, unknown> = {}): Promise<number | undefined> =>
    (await connectError(h.port(), { protocolVersion: 5, username: 'alice', password, ...over })).code;

  before(async () => {
    h = await startHarness({ settings: { allow_anonymous: false, acl_nomatch: 'allow' } });
    h.broker.hooks.setOrder(['jwt', 'fallback']);
    fallback = h.broker.hooks.scope('fallback');
    fallback.authenticate(() => ({ result: 'deny', reasonCode: 0x86 }));
  });
  after(async () => {
    await instance?.stop();
    fallback.dispose();
    await h.close();
  });

  test('HMAC token in the password connects; bad signature 0x87 (v3: 5); a plain password is ignored', async () => {
    await start(config());
    const c = await h.connect({ protocolVersion: 4, username: 'alice', password: await hs({ exp: now() + 60 }) });
    assert.equal(c.connected, true);
    await c.endAsync();
    const forged = await hs({}, new TextEncoder().encode('other'));
    assert.equal(await code(forged), 0x87);
    assert.equal((await connectError(h.port(), { protocolVersion: 4, username: 'alice', password: forged })).code, 5);
    assert.equal(await code('plain-password'), 0x86, 'ignored -> next module');
    assert.equal((await connectError(h.port(), { protocolVersion: 5, username: 'alice' })).code, 0x86, 'no password -> ignored');
  });

  test('expired token -> denied', async () => {
    await start(config());
    assert.equal(await code(await hs({ exp: now() - 5 })), 0x87);
  });

  test('from username: the token is read from the username', async () => {
    await start(config({ from: 'username' }));
    const c = await h.connect({ protocolVersion: 4, username: await hs({}), password: 'ignored' });
    assert.equal(c.connected, true);
    await c.endAsync();
    assert.equal(await code(await hs({})), 0x86, 'a token in the password is not looked at');
  });

  test('verify_claims with %u and %c', async () => {
    await start(config({ verify_claims: true, claims: { username: '%u', clientid: '%c' } }));
    const token = await hs({ username: 'alice', clientid: 'dev-9' });
    const c = await h.connect({ protocolVersion: 4, username: 'alice', clientId: 'dev-9', password: token });
    await c.endAsync();
    assert.equal(await code(token, { username: 'bob', clientId: 'dev-9' }), 0x87);
    assert.equal(await code(token, { clientId: 'dev-1' }), 0x87);
  });

  test('ACL claim: pub/sub/all with %c; no claim -> ignore (acl_nomatch)', async () => {
    await start(config());
    const token = await hs({ exp: now() + 600, acl: { pub: ['up/%c'], sub: ['down/%c'], all: ['both/#'] } });
    const c = await h.connect({ protocolVersion: 5, username: 'alice', clientId: 'dev-7', password: token });
    const granted = await subscribeGranted(c, { 'down/dev-7': { qos: 1 }, 'up/dev-7': { qos: 1 }, 'both/#': { qos: 1 }, 'down/dev-8': { qos: 1 } });
    assert.deepEqual(granted, { 'down/dev-7': 1, 'up/dev-7': 0x87, 'both/#': 1, 'down/dev-8': 0x87 });
    // down/dev-7 is subscribe-only: the publish is not delivered; the next allowed one (all) is.
    const next = nextMessages(c, 1);
    await c.publishAsync('down/dev-7', 'dropped', { qos: 1 }).catch(() => undefined);
    await c.publishAsync('both/y', 'delivered', { qos: 1 });
    const [first] = await next;
    assert.deepEqual([first!.topic, first!.payload], ['both/y', 'delivered']);
    await c.endAsync();

    const plain = await h.connect({ protocolVersion: 5, username: 'alice', clientId: 'dev-8', password: await hs({}) });
    assert.deepEqual(await subscribeGranted(plain, { 'any/topic': { qos: 0 } }), { 'any/topic': 0 });
    await plain.endAsync();
  });

  test('live update: a new secret is used by the next connect', async () => {
    const inst = await start(config());
    const oldToken = await hs({});
    await inst.update!(config({ secret: 'rotated' }));
    assert.equal(await code(oldToken), 0x87);
    const c = await h.connect({ protocolVersion: 4, username: 'alice', password: await hs({}, new TextEncoder().encode('rotated')) });
    await c.endAsync();
  });

  test('JWKS: keys by kid, rotation picked up at the next refresh', async () => {
    const k1 = await rsaKey('k1');
    const k2 = await rsaKey('k2');
    const jwks = await startJwks([k1.jwk]);
    try {
      const inst = await start(config({ secret: '', jwks_url: jwks.url, jwks_refresh_interval: '50ms' }));
      const c = await h.connect({ protocolVersion: 4, username: 'alice', password: await rs({}, k1.privateKey, 'k1') });
      await c.endAsync();
      assert.equal(await code(await rs({}, k2.privateKey, 'k2')), 0x86, 'unknown kid -> ignore');
      assert.equal(await code(await rs({}, k2.privateKey, 'k1')), 0x87, 'known kid, wrong key -> deny');

      jwks.keys = [k2.jwk];
      const seen = jwks.fetches;
      await waitFor(() => jwks.fetches >= seen + 2, 'two JWKS refreshes after the rotation');
      const rotated = await h.connect({ protocolVersion: 4, username: 'alice', password: await rs({}, k2.privateKey, 'k2') });
      await rotated.endAsync();
      assert.equal(await code(await rs({}, k1.privateKey, 'k1')), 0x86, 'the retired key is gone');
      assert.deepEqual(inst.status(), { state: 'running' });
    } finally {
      await instance?.stop();
      instance = undefined;
      await jwks.close();
    }
  });

  test('JWKS unreachable: degraded; on_backend_error deny -> server unavailable, ignore -> next module', async () => {
    const k1 = await rsaKey('k1');
    const jwks = await startJwks([]);
    const url = jwks.url;
    await jwks.close();
    const inst = await start(config({ jwks_url: url, on_backend_error: 'deny' }));
    assert.equal(inst.status().state, 'degraded');
    assert.equal(await code(await rs({}, k1.privateKey, 'k1')), 0x88);
    await inst.update!(config({ jwks_url: url, on_backend_error: 'ignore' }));
    assert.equal(await code(await rs({}, k1.privateKey, 'k1')), 0x86);
    // HMAC tokens still work while the JWKS is down.
    const c = await h.connect({ protocolVersion: 4, username: 'alice', password: await hs({}) });
    await c.endAsync();
  });
});
