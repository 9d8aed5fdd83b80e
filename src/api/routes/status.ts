import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import { API_PREFIX, VERSION } from '../app.js';

export function registerStatusRoute(app: FastifyInstance, deps: ApiDeps, startedAt: number): void {
  app.get(
    `${API_PREFIX}/status`,
    {
      config: {
        openapi: {
          summary: 'This node: name, revision applied, uptime, version',
          tags: ['status'],
          responses: {
            200: {
              type: 'object',
              properties: {
                node: { type: 'string' },
                revision: { type: 'integer', description: 'Latest revision of the cluster document.' },
                appliedRevision: { type: 'integer', description: 'Revision this node has applied.' },
                uptime: { type: 'integer', description: 'Seconds since the API started.' },
                version: { type: 'string' },
              },
            },
          },
        },
      },
    },
    async () => {
      const current = await deps.service.cluster();
      return {
        node: deps.nodeName,
        revision: current.revision,
        appliedRevision: deps.status().appliedRevision,
        uptime: Math.floor((Date.now() - startedAt) / 1000),
        version: VERSION,
      };
    },
  );
}
