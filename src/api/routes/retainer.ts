import type { FastifyInstance } from 'fastify';
import { isValidFilter, isValidTopicName } from '../../broker/topic.js';
import { ModmqError, notFound } from '../../errors.js';
import { RETAINER_SERVICE, type RetainerService } from '../../modules/retainer/index.js';
import type { RetainedMessage } from '../../broker/hooks.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';

const entrySchema = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    qos: { type: 'integer', enum: [0, 1, 2] },
    payload_size: { type: 'integer' },
    stored_at: { type: 'string', format: 'date-time' },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
  },
};

function serviceOf(deps: ApiDeps): RetainerService {
  const service = deps.services?.get<RetainerService>(RETAINER_SERVICE);
  if (!service) throw new ModmqError('MODMQ_MODULE_NOT_RUNNING', 'the retainer module is not running on this node', 503);
  return service;
}

function entry(m: RetainedMessage): Record<string, unknown> {
  return {
    topic: m.topic,
    qos: m.qos,
    payload_size: m.payload.length,
    stored_at: new Date(m.storedAt).toISOString(),
    expires_at: m.expiresAt === undefined ? null : new Date(m.expiresAt).toISOString(),
  };
}

const topicParam = {
  type: 'object',
  required: ['topic'],
  properties: { topic: { type: 'string', minLength: 1, description: 'The topic, URL-encoded (a/b -> a%2Fb)' } },
};

/** Retained messages on this node (module retainer): summary, list by filter, inspect, delete. */
export function registerRetainerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const base = `${API_PREFIX}/retainer`;

  app.get(
    base,
    {
      config: {
        openapi: {
          summary: 'The retainer on this node: storage, message count and counters',
          tags: ['retainer'],
          responses: {
            200: {
              type: 'object',
              properties: {
                storage: { type: 'string', enum: ['ram', 'disc'] },
                count: { type: 'integer' },
                counters: { type: 'object', additionalProperties: { type: 'integer' } },
              },
            },
          },
        },
      },
    },
    async () => {
      const service = serviceOf(deps);
      return { storage: service.storage(), count: service.count(), counters: service.counters() };
    },
  );

  app.get(
    `${base}/messages`,
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            topic: { type: 'string', minLength: 1, default: '#', description: 'A topic filter (wildcards allowed); `#` = all' },
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
      },
      config: {
        openapi: {
          summary: 'Retained messages whose topic matches a filter, sorted by topic (no payloads)',
          tags: ['retainer'],
          responses: {
            200: {
              type: 'object',
              properties: {
                total: { type: 'integer' },
                limit: { type: 'integer' },
                offset: { type: 'integer' },
                messages: { type: 'array', items: entrySchema },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const { topic, limit, offset } = request.query as { topic: string; limit: number; offset: number };
      if (!isValidFilter(topic) || topic.startsWith('$share/')) {
        throw new ModmqError('MODMQ_INVALID_REQUEST', `not a topic filter: ${JSON.stringify(topic)}`, 400);
      }
      const all = serviceOf(deps)
        .list(topic)
        .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
      return { total: all.length, limit, offset, messages: all.slice(offset, offset + limit).map(entry) };
    },
  );

  app.get(
    `${base}/messages/:topic`,
    {
      schema: { params: topicParam },
      config: {
        openapi: {
          summary: 'One retained message, with its payload (base64)',
          tags: ['retainer'],
          responses: { 200: { type: 'object', properties: { ...entrySchema.properties, payload: { type: 'string', contentEncoding: 'base64' } } } },
        },
      },
    },
    async (request) => {
      const { topic } = request.params as { topic: string };
      const m = isValidTopicName(topic) ? serviceOf(deps).get(topic) : undefined;
      if (!m) throw notFound('MODMQ_NOT_FOUND', `no retained message on ${topic}`);
      return { ...entry(m), payload: m.payload.toString('base64') };
    },
  );

  app.delete(
    `${base}/messages/:topic`,
    {
      schema: { params: topicParam },
      config: {
        openapi: {
          summary: 'Deletes the retained message of a topic',
          tags: ['retainer'],
          responses: { 200: { type: 'object', properties: { topic: { type: 'string' }, deleted: { type: 'boolean' } } } },
        },
      },
    },
    async (request) => {
      const { topic } = request.params as { topic: string };
      const service = serviceOf(deps);
      if (!isValidTopicName(topic) || service.get(topic) === undefined) throw notFound('MODMQ_NOT_FOUND', `no retained message on ${topic}`);
      service.delete(topic);
      request.log.info({ topic }, 'retained message deleted');
      return { topic, deleted: true };
    },
  );
}
