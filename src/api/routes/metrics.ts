import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';

/**
 * Prometheus pull endpoint. Public on purpose, like EMQX's `/api/v4/emqx_prometheus`: scrapers
 * rarely carry credentials, and it exposes counts and states, never config or secrets. Bind the
 * API to a private interface (node config `api.bind`) if even that is too much.
 */
export function registerMetricsRoute(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/metrics',
    {
      config: {
        public: true,
        openapi: {
          summary: 'Prometheus metrics (text exposition format; no authentication)',
          tags: ['metrics'],
          responseContentType: 'text/plain',
          responses: { 200: { type: 'string' } },
        },
      },
    },
    async (_request, reply) => {
      const text = await deps.metrics.metrics();
      return reply.type(deps.metrics.contentType).send(text);
    },
  );
}
