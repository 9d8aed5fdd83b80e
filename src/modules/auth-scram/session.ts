import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { EnhancedAuthSession, EnhancedAuthStep } from '../../broker/hooks.js';
import type { CredentialTable } from './credentials.js';
import {
  type ClientFirst,
  type Mechanism,
  authMessage,
  digestSize,
  hash,
  hmac,
  parseClientFinal,
  parseClientFirst,
  serverFirst,
  xor,
} from './scram.js';

const BAD_CREDENTIALS = 0x86;
const NOT_AUTHORIZED = 0x87;

/**
 * The server side of one SCRAM exchange: client-first -> server-first (AUTH 0x18) ->
 * client-final -> server-final (CONNACK / AUTH 0x00) or refusal. An unknown user gets a
 * plausible server-first from a per-instance fake salt and fails at the proof, like a wrong
 * password, so the exchange does not tell which usernames exist.
 */
export class ScramSession implements EnhancedAuthSession {
  private state: 'first' | 'final' | 'done' = 'first';
  private first: ClientFirst | undefined;
  private serverFirstMessage = '';
  private nonce = '';

  constructor(
    private readonly mechanism: Mechanism,
    private readonly credentials: CredentialTable,
    private readonly fakeSaltKey: Buffer,
    private readonly fakeIterations: number,
  ) {}

  step(data: Buffer | undefined): EnhancedAuthStep {
    if (data === undefined || data.length === 0) return this.fail(NOT_AUTHORIZED, 'authentication data missing');
    switch (this.state) {
      case 'first':
        return this.onClientFirst(data.toString('utf8'));
      case 'final':
        return this.onClientFinal(data.toString('utf8'));
      default:
        return this.fail(NOT_AUTHORIZED, 'exchange already finished');
    }
  }

  private onClientFirst(message: string): EnhancedAuthStep {
    const first = parseClientFirst(message);
    if (first === undefined) return this.fail(NOT_AUTHORIZED, 'malformed SCRAM client-first message');
    this.first = first;
    this.nonce = first.nonce + randomBytes(18).toString('base64');
    const credential = this.credentials.lookup(this.mechanism, first.username);
    const salt = credential?.salt ?? hmac(this.mechanism, this.fakeSaltKey, first.username).subarray(0, 16);
    const iterations = credential?.iterations ?? this.fakeIterations;
    this.serverFirstMessage = serverFirst(this.nonce, salt, iterations);
    this.state = 'final';
    return { result: 'continue', data: Buffer.from(this.serverFirstMessage, 'utf8') };
  }

  private onClientFinal(message: string): EnhancedAuthStep {
    const first = this.first!;
    const final = parseClientFinal(message);
    if (final === undefined) return this.fail(NOT_AUTHORIZED, 'malformed SCRAM client-final message');
    if (final.nonce !== this.nonce) return this.fail(NOT_AUTHORIZED, 'SCRAM nonce mismatch');
    if (final.channelBinding !== Buffer.from(first.gs2Header, 'utf8').toString('base64')) {
      return this.fail(NOT_AUTHORIZED, 'SCRAM channel binding mismatch');
    }
    const credential = this.credentials.lookup(this.mechanism, first.username);
    if (credential === undefined || final.proof.length !== digestSize(this.mechanism)) {
      return this.fail(BAD_CREDENTIALS, 'bad username or password');
    }
    const auth = authMessage(first.bare, this.serverFirstMessage, final.withoutProof);
    const clientKey = xor(final.proof, hmac(this.mechanism, credential.storedKey, auth));
    const computed = hash(this.mechanism, clientKey);
    if (computed.length !== credential.storedKey.length || !timingSafeEqual(computed, credential.storedKey)) {
      return this.fail(BAD_CREDENTIALS, 'bad username or password');
    }
    this.state = 'done';
    const signature = hmac(this.mechanism, credential.serverKey, auth);
    return {
      result: 'allow',
      data: Buffer.from(`v=${signature.toString('base64')}`, 'utf8'),
      superuser: credential.superuser,
      username: first.username,
    };
  }

  private fail(reasonCode: number, reason: string): EnhancedAuthStep {
    this.state = 'done';
    return { result: 'deny', reasonCode, reason };
  }
}
