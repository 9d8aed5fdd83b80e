/**
 * SCRAM (RFC 5802, RFC 7677) message syntax and key derivation. Pure functions, no I/O; both the
 * server side (session.ts) and test clients use them.
 */
import { createHash, createHmac, pbkdf2 } from 'node:crypto';

export type Mechanism = 'SCRAM-SHA-1' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const MECHANISMS: readonly Mechanism[] = ['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

const DIGEST: Record<Mechanism, { name: 'sha1' | 'sha256' | 'sha512'; size: number }> = {
  'SCRAM-SHA-1': { name: 'sha1', size: 20 },
  'SCRAM-SHA-256': { name: 'sha256', size: 32 },
  'SCRAM-SHA-512': { name: 'sha512', size: 64 },
};

export function isMechanism(value: string): value is Mechanism {
  return Object.prototype.hasOwnProperty.call(DIGEST, value);
}

export function digestSize(mechanism: Mechanism): number {
  return DIGEST[mechanism].size;
}

export function hmac(mechanism: Mechanism, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(DIGEST[mechanism].name, key).update(data).digest();
}

export function hash(mechanism: Mechanism, data: Buffer): Buffer {
  return createHash(DIGEST[mechanism].name).update(data).digest();
}

/** Hi() of RFC 5802: PBKDF2 with HMAC-H, one block. */
export function saltedPassword(mechanism: Mechanism, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, DIGEST[mechanism].size, DIGEST[mechanism].name, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** What a server keeps per user and mechanism (the 4.x `auth_sasl` form, keys raw here). */
export interface ScramKeys {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export function keysFromSalted(mechanism: Mechanism, salted: Buffer, salt: Buffer, iterations: number): ScramKeys & { clientKey: Buffer } {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  return { salt, iterations, clientKey, storedKey: hash(mechanism, clientKey), serverKey: hmac(mechanism, salted, 'Server Key') };
}

export async function deriveKeys(mechanism: Mechanism, password: string, salt: Buffer, iterations: number): Promise<ScramKeys> {
  const { storedKey, serverKey } = keysFromSalted(mechanism, await saltedPassword(mechanism, password, salt, iterations), salt, iterations);
  return { salt, iterations, storedKey, serverKey };
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ (b[i] ?? 0);
  return out;
}

/** saslname escaping: ',' -> '=2C', '=' -> '=3D'. */
export function escapeName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** undefined when the name holds a '=' not followed by 2C / 3D (RFC 5802 §5.1). */
export function unescapeName(name: string): string | undefined {
  if (/=(?!2C|3D)/.test(name)) return undefined;
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** `a=1,b=2` attributes in order; undefined if any part is not `<letter>=value`. */
export function parseAttributes(text: string): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = [];
  for (const part of text.split(',')) {
    if (part.length < 2 || part[1] !== '=' || !/^[A-Za-z]$/.test(part[0]!)) return undefined;
    out.push([part[0]!, part.slice(2)]);
  }
  return out;
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

export interface ClientFirst {
  /** `n,,` or `y,,` (with an optional `a=authzid`): echoed back base64 in the client-final `c=`. */
  gs2Header: string;
  /** client-first-message-bare, part of the AuthMessage. */
  bare: string;
  username: string;
  nonce: string;
}

/** Parses a client-first message; undefined if malformed or it asks for channel binding. */
export function parseClientFirst(message: string): ClientFirst | undefined {
  const m = /^([ny])(,(?:a=[^,]*)?,)(.*)$/s.exec(message);
  if (m === null) return undefined;
  const gs2Header = m[1]! + m[2]!;
  const bare = m[3]!;
  const attrs = parseAttributes(bare);
  if (attrs === undefined || attrs.length < 2 || attrs[0]![0] !== 'n' || attrs[1]![0] !== 'r') return undefined;
  // 'm' is a mandatory extension nobody defines: refuse (RFC 5802 §5.1).
  if (attrs.some(([k]) => k === 'm')) return undefined;
  const username = unescapeName(attrs[0]![1]);
  const nonce = attrs[1]![1];
  if (username === undefined || username.length === 0 || !PRINTABLE_NONCE.test(nonce)) return undefined;
  return { gs2Header, bare, username, nonce };
}

export interface ClientFinal {
  channelBinding: string;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, part of the AuthMessage. */
  withoutProof: string;
}

export function parseClientFinal(message: string): ClientFinal | undefined {
  const cut = message.lastIndexOf(',p=');
  if (cut < 0) return undefined;
  const withoutProof = message.slice(0, cut);
  const attrs = parseAttributes(withoutProof);
  if (attrs === undefined || attrs.length < 2 || attrs[0]![0] !== 'c' || attrs[1]![0] !== 'r') return undefined;
  const proofText = message.slice(cut + 3);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(proofText)) return undefined;
  return { channelBinding: attrs[0]![1], nonce: attrs[1]![1], proof: Buffer.from(proofText, 'base64'), withoutProof };
}

export function serverFirst(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
}

export function authMessage(clientFirstBare: string, serverFirstMessage: string, clientFinalWithoutProof: string): string {
  return `${clientFirstBare},${serverFirstMessage},${clientFinalWithoutProof}`;
}

// ---- client side (tests, tools) -------------------------------------------------------------

export interface ServerFirst {
  nonce: string;
  salt: Buffer;
  iterations: number;
}

export function parseServerFirst(message: string): ServerFirst | undefined {
  const attrs = parseAttributes(message);
  if (attrs === undefined || attrs.length < 3 || attrs[0]![0] !== 'r' || attrs[1]![0] !== 's' || attrs[2]![0] !== 'i') return undefined;
  const iterations = Number(attrs[2]![1]);
  if (!Number.isInteger(iterations) || iterations < 1) return undefined;
  return { nonce: attrs[0]![1], salt: Buffer.from(attrs[1]![1], 'base64'), iterations };
}

/** A SCRAM client: `first()`, then `final(serverFirst)`, then `verify(serverFinal)`. */
export class ScramClient {
  private bare = '';
  private expectedSignature: Buffer | undefined;

  constructor(
    readonly mechanism: Mechanism,
    private readonly username: string,
    private readonly password: string,
    private readonly nonce: string,
  ) {}

  first(): string {
    this.bare = `n=${escapeName(this.username)},r=${this.nonce}`;
    return `n,,${this.bare}`;
  }

  async final(serverFirstMessage: string): Promise<string> {
    const sf = parseServerFirst(serverFirstMessage);
    if (sf === undefined || !sf.nonce.startsWith(this.nonce)) throw new Error('bad server-first message');
    const salted = await saltedPassword(this.mechanism, this.password, sf.salt, sf.iterations);
    const keys = keysFromSalted(this.mechanism, salted, sf.salt, sf.iterations);
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${sf.nonce}`;
    const auth = authMessage(this.bare, serverFirstMessage, withoutProof);
    const proof = xor(keys.clientKey, hmac(this.mechanism, keys.storedKey, auth));
    this.expectedSignature = hmac(this.mechanism, keys.serverKey, auth);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  verify(serverFinalMessage: string): boolean {
    return this.expectedSignature !== undefined && serverFinalMessage === `v=${this.expectedSignature.toString('base64')}`;
  }
}
