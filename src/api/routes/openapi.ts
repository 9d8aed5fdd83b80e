import type { FastifyInstance } from 'fastify';
import { API_PREFIX } from '../app.js';

export function registerOpenApiRoute(app: FastifyInstance, document: () => object): void {
  app.get(
    `${API_PREFIX}/openapi.json`,
    { config: { openapi: { summary: 'This document (OpenAPI 3.1, generated at startup)', tags: ['meta'] } } },
    async () => document(),
  );
}
