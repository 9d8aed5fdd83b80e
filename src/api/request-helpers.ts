import type { FastifyReply, FastifyRequest } from 'fastify';
import { ModmqError } from '../errors.js';
import type { WriteOptions } from '../modules/runtime/module-service.js';
import { principalOf } from './auth.js';

/** Parses `If-Match: 7`, `"7"` or `W/"7"`; `*` (or absent) means no expectation. */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,16})"?$/.exec(trimmed);
  if (!match?.[1] || !Number.isSafeInteger(Number(match[1]))) {
    throw new ModmqError('MODMQ_INVALID_REQUEST', `If-Match must be a revision number, got ${JSON.stringify(raw)}`, 400, [
      { pointer: '', keyword: 'if-match', message: 'must be a revision number' },
    ]);
  }
  return Number(match[1]);
}

/**
 * The compare-and-set revision of a write: from If-Match or the body's `revision`. Both given and
 * different is a 400 (the client is confused; guessing could overwrite someone's change).
 */
export function writeOptions(request: FastifyRequest, bodyRevision?: unknown): WriteOptions {
  const header = parseIfMatch(request.headers['if-match']);
  const body = typeof bodyRevision === 'number' ? bodyRevision : undefined;
  if (header !== undefined && body !== undefined && header !== body) {
    throw new ModmqError('MODMQ_INVALID_REQUEST', `If-Match (${header}) and body revision (${body}) differ`, 400, [
      { pointer: '/revision', keyword: 'if-match', message: 'differs from the If-Match header' },
    ]);
  }
  const expected = header ?? body;
  const options: WriteOptions = { author: principalOf(request).name };
  if (expected !== undefined) options.expectedRevision = expected;
  return options;
}

export function setEtag(reply: FastifyReply, revision: number): void {
  reply.header('etag', `"${revision}"`);
}

/** `?reveal_secrets=true`: admins only; anyone else asking gets a 403 rather than a silent no. */
export function revealSecrets(request: FastifyRequest): boolean {
  const query = request.query as { reveal_secrets?: unknown } | undefined;
  const asked = query?.reveal_secrets === true || query?.reveal_secrets === 'true';
  if (!asked) return false;
  if (principalOf(request).role !== 'admin') {
    throw new ModmqError('MODMQ_FORBIDDEN', 'reveal_secrets needs the admin role', 403);
  }
  return true;
}

/** Querystring schema fragment shared by routes that return module configs. */
export const revealQuery = {
  reveal_secrets: { type: 'boolean', description: 'Show x-secret fields in clear (admin role only).' },
} as const;
