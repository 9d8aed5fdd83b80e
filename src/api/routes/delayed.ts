import type { FastifyInstance } from 'fastify';
import { ModmqError, notFound } from '../../errors.js';
import { DELAYED_SERVICE, type DelayedPublishService } from '../../modules/delayed-publish/service.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    topic: { type: 'string' },
    qos: { type: 'integer', enum: [0, 1, 2] },
    retain: { type: 'boolean' },
    from_clientid: { type: ['string', 'null'] },
    from_username: { type: ['string', 'null'] },
    publish_at: { type: 'string', format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
    remaining: { type: 'integer', description: 'Seconds until it is published' },
    payload_size: { type: 'integer' },
  },
};

/** The running module's service, or 503 MODMQ_MODULE_NOT_RUNNING. */
function serviceOf(deps: ApiDeps): DelayedPublishService {
  const service = deps.services?.get<DelayedPublishService>(DELAYED_SERVICE);
  if (!service) throw new ModmqError('MODMQ_MODULE_NOT_RUNNING', 'the delayed-publish module is not running on this node', 503);
  return service;
}

/** Delayed messages held by this node, or by the whole cluster on Redis (module delayed-publish): list, inspect, delete. */
export function registerDelayedRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const base = `${API_PREFIX}/delayed`;

  app.get(
    base,
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
            topic: { type: 'string', minLength: 1, description: 'Only messages for this exact topic' },
          },
        },
      },
      config: {
        openapi: {
          summary: 'Delayed messages held (this node, or the cluster on Redis), in the order they will be published',
          tags: ['delayed'],
          responses: {
            200: {
              type: 'object',
              properties: {
                total: { type: 'integer' },
                limit: { type: 'integer' },
                offset: { type: 'integer' },
                max: { type: 'integer', description: 'max_delayed_messages (0 = unlimited)' },
                messages: { type: 'array', items: entrySchema },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const { limit, offset, topic } = request.query as { limit: number; offset: number; topic?: string };
      const service = serviceOf(deps);
      const page = await service.list({ offset, limit, ...(topic !== undefined ? { topic } : {}) });
      return { total: page.total, limit, offset, max: service.stats().max, messages: page.items };
    },
  );

  app.get(
    `${base}/:id`,
    {
      schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } },
      config: {
        openapi: {
          summary: 'One delayed message, with its payload (base64)',
          tags: ['delayed'],
          responses: { 200: { type: 'object', properties: { ...entrySchema.properties, payload: { type: 'string', contentEncoding: 'base64' } } } },
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: number };
      const message = await serviceOf(deps).get(id);
      if (!message) throw notFound('MODMQ_NOT_FOUND', `no delayed message ${id}`);
      return message;
    },
  );

  app.delete(
    `${base}/:id`,
    {
      schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } },
      config: {
        openapi: {
          summary: 'Delete one delayed message (it is never published)',
          tags: ['delayed'],
          responses: { 200: { type: 'object', properties: { id: { type: 'integer' }, deleted: { type: 'boolean' } } } },
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: number };
      if (!(await serviceOf(deps).delete(id))) throw notFound('MODMQ_NOT_FOUND', `no delayed message ${id}`);
      request.log.info({ delayedId: id }, 'delayed message deleted');
      return { id, deleted: true };
    },
  );

  app.delete(
    base,
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['topic'],
          properties: { topic: { type: 'string', minLength: 1, description: 'Delete every delayed message for this exact topic' } },
        },
      },
      config: {
        openapi: {
          summary: 'Delete every delayed message for a topic',
          tags: ['delayed'],
          responses: { 200: { type: 'object', properties: { topic: { type: 'string' }, deleted: { type: 'integer' } } } },
        },
      },
    },
    async (request) => {
      const { topic } = request.query as { topic: string };
      const deleted = await serviceOf(deps).deleteTopic(topic);
      request.log.info({ topic, deleted }, 'delayed messages deleted for a topic');
      return { topic, deleted };
    },
  );
}
