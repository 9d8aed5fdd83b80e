import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';
import type { Role } from '../credential-store.js';

/** API key management: admin role only (route config `adminOnly`, enforced in auth.ts). */
export function registerApiKeyRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const base = `${API_PREFIX}/api-keys`;

  app.get(
    base,
    {
      config: {
        adminOnly: true,
        openapi: {
          summary: 'API keys (never their secrets)',
          tags: ['api-keys'],
          responses: { 200: { type: 'array', items: { $ref: '#/components/schemas/ApiKey' } } },
        },
      },
    },
    async () => deps.credentials.listKeys(),
  );

  app.post(
    base,
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            role: { type: 'string', enum: ['admin', 'viewer'], default: 'viewer' },
          },
        },
      },
      config: {
        adminOnly: true,
        openapi: {
          summary: 'Create an API key; the secret is shown only in this answer',
          tags: ['api-keys'],
          responses: {
            201: { allOf: [{ $ref: '#/components/schemas/ApiKey' }, { type: 'object', properties: { secret: { type: 'string' } } }] },
          },
        },
      },
    },
    async (request, reply) => {
      const { name, role } = request.body as { name: string; role: Role };
      const key = deps.credentials.createKey(name, role);
      request.log.info({ keyId: key.id, role }, 'API key created');
      return reply.status(201).send(key);
    },
  );

  app.delete(
    `${base}/:id`,
    {
      schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } },
      config: {
        adminOnly: true,
        openapi: {
          summary: 'Revoke an API key (effective at once)',
          tags: ['api-keys'],
          responses: { 200: { type: 'object', properties: { id: { type: 'string' }, revoked: { type: 'boolean' } } } },
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (!deps.credentials.revokeKey(id)) throw notFound('MODMQ_NOT_FOUND', `no API key ${JSON.stringify(id)}`);
      request.log.info({ keyId: id }, 'API key revoked');
      return { id, revoked: true };
    },
  );
}
