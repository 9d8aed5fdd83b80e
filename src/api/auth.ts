import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ModmqError } from '../errors.js';
import type { CredentialStore, Principal } from './credential-store.js';

/** Per-route options under fastify's route `config`. */
export interface RouteAccess {
  /** Served without credentials (only /metrics, like EMQX's Prometheus endpoint). */
  public?: boolean;
  /** Only principals with the admin role (API key management). */
  adminOnly?: boolean;
}

const principals = new WeakMap<FastifyRequest, Principal>();
const READ_METHODS = new Set(['GET', 'HEAD']);

/** The authenticated caller of a request that passed {@link registerAuth}. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (!principal) throw new ModmqError('MODMQ_UNAUTHORIZED', 'not authenticated', 401);
  return principal;
}

/** Parses `Authorization: Basic base64(user:secret)`; the secret may itself contain ':'. */
export function parseBasicAuth(header: string | undefined): { user: string; secret: string } | null {
  if (!header) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * Default deny: every route (including unknown URLs) needs HTTP Basic credentials unless its
 * route config says `public: true`. Viewers may only read; `adminOnly` routes need the admin role.
 */
export function registerAuth(app: FastifyInstance, credentials: CredentialStore): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = (request.routeOptions.config ?? {}) as RouteAccess;
    if (access.public) return;
    const parsed = parseBasicAuth(request.headers.authorization);
    const principal = parsed ? credentials.verify(parsed.user, parsed.secret) : null;
    if (!principal) {
      reply.header('www-authenticate', 'Basic realm="modmq"');
      throw new ModmqError(
        'MODMQ_UNAUTHORIZED',
        parsed ? 'invalid credentials' : 'authentication required (HTTP Basic: admin:<password> or <key id>:<key secret>)',
        401,
      );
    }
    principals.set(request, principal);
    if (access.adminOnly && principal.role !== 'admin') {
      throw new ModmqError('MODMQ_FORBIDDEN', 'this operation needs the admin role', 403);
    }
    if (principal.role === 'viewer' && !READ_METHODS.has(request.method)) {
      throw new ModmqError('MODMQ_FORBIDDEN', 'viewer keys may only read', 403);
    }
  });
}
