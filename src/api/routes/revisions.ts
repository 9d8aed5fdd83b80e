import type { FastifyInstance } from 'fastify';
import { ModmqError, notFound } from '../../errors.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';
import { revealQuery, revealSecrets, setEtag, writeOptions } from '../request-helpers.js';
import { redactDocument } from '../secrets.js';
import { waitForApply, waitQuery } from './wait.js';

const revParams = {
  type: 'object',
  required: ['rev'],
  properties: { rev: { type: 'integer', minimum: 0 } },
} as const;

export function registerRevisionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { service, catalog } = deps;
  const base = `${API_PREFIX}/revisions`;

  app.get(
    base,
    {
      schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } } } },
      config: {
        openapi: {
          summary: 'History of the cluster document, newest first',
          tags: ['revisions'],
          responses: { 200: { type: 'array', items: { $ref: '#/components/schemas/RevisionSummary' } } },
        },
      },
    },
    async (request) => {
      const { limit } = request.query as { limit?: number };
      return service.history(limit ?? 50);
    },
  );

  app.get(
    `${base}/:rev`,
    {
      schema: { params: revParams, querystring: { type: 'object', properties: revealQuery } },
      config: {
        openapi: {
          summary: 'One revision: who, when, what, and the document',
          tags: ['revisions'],
          responses: {
            200: {
              allOf: [
                { $ref: '#/components/schemas/RevisionSummary' },
                { type: 'object', properties: { document: { $ref: '#/components/schemas/ClusterDocument' } } },
              ],
            },
          },
        },
      },
    },
    async (request, reply) => {
      const reveal = revealSecrets(request);
      const { rev } = request.params as { rev: number };
      const current = await service.cluster();
      const found = rev === current.revision ? current : await deps.store?.get(rev);
      if (!found) {
        if (!deps.store && rev < current.revision) {
          throw new ModmqError('MODMQ_NOT_FOUND', 'this node cannot read old revisions (no store given to the API)', 404);
        }
        throw notFound('MODMQ_REVISION_NOT_FOUND', `no revision ${rev}`);
      }
      setEtag(reply, found.revision);
      return { ...found, document: redactDocument(found.document, catalog, reveal) };
    },
  );

  app.post(
    `${base}/:rev/restore`,
    {
      schema: {
        params: revParams,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { revision: { type: 'integer', minimum: 0 } } },
        querystring: { type: 'object', properties: waitQuery },
      },
      config: {
        openapi: {
          summary: "Restore an old revision's document as a new revision",
          tags: ['revisions'],
          responses: { 200: { type: 'object', properties: { revision: { type: 'integer' } } } },
        },
      },
    },
    async (request, reply) => {
      const { rev } = request.params as { rev: number };
      const body = (request.body ?? {}) as { revision?: number };
      const { revision } = await service.restore(rev, writeOptions(request, body.revision));
      const applied = await waitForApply(request, deps, revision);
      setEtag(reply, revision);
      return { revision, ...applied };
    },
  );
}
