/**
 * Verifies a token against every configured key that fits its alg (HMAC secret, public key, JWKS
 * keys for its kid); 4.x accepted any that verifies. Outcomes follow the schema: not a JWT or no
 * key for it -> ignore; bad signature, expired, not yet valid -> deny.
 */
import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, importSPKI, importX509, jwtVerify, type JWTPayload } from 'jose';
import { normalizeEcdsaToken } from './der-signature.js';
import type { JwksSource } from './jwks-source.js';

export type VerifyOutcome =
  | { kind: 'ok'; claims: JWTPayload }
  | { kind: 'ignore'; reason: string }
  | { kind: 'deny'; reason: string }
  /** No key fit and the JWKS could not be fetched: the backend's fault, not the client's. */
  | { kind: 'backend-error'; reason: string };

type Key = Parameters<typeof jwtVerify>[1] & object;

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface KeyMaterial {
  secret: string;
  /** PEM text (SPKI public key or X.509 certificate); '' for none. */
  pubkeyPem: string;
  signatureFormat: 'der' | 'raw';
  jwks: JwksSource | undefined;
}

/** Throws when the PEM is not a public key or certificate (create/check fail with the reason). */
export function assertPublicKeyPem(pem: string): void {
  createPublicKey(pem);
}

export class TokenVerifier {
  private readonly secret: Uint8Array | undefined;
  private readonly imported = new Map<string, Promise<Key | undefined>>();

  constructor(private readonly keys: KeyMaterial) {
    this.secret = keys.secret === '' ? undefined : new TextEncoder().encode(keys.secret);
    if (keys.pubkeyPem !== '') assertPublicKeyPem(keys.pubkeyPem);
  }

  /** The public key imported for one alg (undefined when the key does not fit that alg). */
  private publicKey(alg: string): Promise<Key | undefined> {
    let key = this.imported.get(alg);
    if (!key) {
      const pem = this.keys.pubkeyPem;
      key = (pem.includes('CERTIFICATE') ? importX509(pem, alg) : importSPKI(pem, alg)).catch(() => undefined);
      this.imported.set(alg, key);
    }
    return key;
  }

  private async *candidates(header: { alg: string }): AsyncGenerator<Key> {
    const alg = header.alg;
    if (alg.startsWith('HS')) {
      if (this.secret) yield this.secret;
      return;
    }
    if (this.keys.pubkeyPem !== '') {
      const key = await this.publicKey(alg);
      if (key) yield key;
    }
    const getter = this.keys.jwks?.getter();
    if (!getter) return;
    try {
      yield (await getter(header, { payload: '', signature: '' } as never)) as Key;
    } catch (err) {
      // Several keys share the kid: jose hands them over as an async iterator.
      const many = err as { code?: string; [Symbol.asyncIterator]?: () => AsyncIterator<Key> };
      if (many.code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' && many[Symbol.asyncIterator]) {
        for await (const key of many as AsyncIterable<Key>) yield key;
      }
      // ERR_JWKS_NO_MATCHING_KEY, unsupported alg: no candidate from the JWKS.
    }
  }

  async verify(token: string): Promise<VerifyOutcome> {
    if (!JWT_SHAPE.test(token)) return { kind: 'ignore', reason: 'not a JWT' };
    let header: { alg?: unknown };
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { kind: 'ignore', reason: 'not a JWT' };
    }
    const alg = header.alg;
    if (typeof alg !== 'string' || alg === 'none') return { kind: 'ignore', reason: 'unsigned token' };
    const prepared = this.keys.signatureFormat === 'der' ? normalizeEcdsaToken(token, alg) : token;
    let tried = 0;
    for await (const key of this.candidates({ ...header, alg })) {
      tried++;
      try {
        const { payload } = await jwtVerify(prepared, key, { algorithms: [alg] });
        return { kind: 'ok', claims: payload };
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ERR_JWT_EXPIRED') return { kind: 'deny', reason: 'token expired' };
        if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return { kind: 'deny', reason: (err as Error).message };
        if (code === 'ERR_JWT_INVALID') return { kind: 'deny', reason: 'invalid token payload' };
        // Signature failed with this key (or the key does not fit): try the next one.
      }
    }
    if (tried > 0) return { kind: 'deny', reason: 'invalid signature' };
    if (this.keys.jwks && !this.keys.jwks.healthy() && !alg.startsWith('HS')) {
      return { kind: 'backend-error', reason: 'no key for the token and the JWKS is unavailable' };
    }
    return { kind: 'ignore', reason: 'no key for the token' };
  }
}
