import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';

export function registerClientRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const base = `${API_PREFIX}/clients`;

  app.get(
    base,
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
      },
      config: {
        openapi: {
          summary: 'Clients connected to this node (ordered by client id)',
          tags: ['clients'],
          responses: {
            200: {
              type: 'object',
              properties: {
                total: { type: 'integer' },
                limit: { type: 'integer' },
                offset: { type: 'integer' },
                clients: { type: 'array', items: { $ref: '#/components/schemas/Client' } },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const { limit, offset } = request.query as { limit: number; offset: number };
      const all = [...deps.broker.clients()].sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
      return { total: all.length, limit, offset, clients: all.slice(offset, offset + limit) };
    },
  );

  app.get(
    `${base}/:clientid`,
    {
      schema: { params: { type: 'object', required: ['clientid'], properties: { clientid: { type: 'string' } } } },
      config: {
        openapi: { summary: 'One connected client', tags: ['clients'], responses: { 200: { $ref: '#/components/schemas/Client' } } },
      },
    },
    async (request) => {
      const { clientid } = request.params as { clientid: string };
      const client = deps.broker.client(clientid);
      if (!client) throw notFound('MODMQ_NOT_FOUND', `client ${JSON.stringify(clientid)} is not connected to this node`);
      return client;
    },
  );
}
