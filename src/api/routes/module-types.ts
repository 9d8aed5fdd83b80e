import type { FastifyInstance } from 'fastify';
import { ModmqError } from '../../errors.js';
import type { ModuleTypeInfo } from '../../schema/catalog.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';

export function registerModuleTypeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { catalog } = deps;
  const base = `${API_PREFIX}/module-types`;

  const describe = (info: ModuleTypeInfo, version: number): Record<string, unknown> => ({
    type: info.type,
    family: info.family,
    title: info.title,
    description: info.description,
    versions: info.versions,
    latest: info.latest,
    singleton: info.singleton,
    ...(deps.isImplemented ? { implemented: deps.isImplemented(info.type) } : {}),
    version,
    schema: catalog.moduleSchema(info.type, version),
  });

  app.get(
    base,
    {
      config: {
        openapi: {
          summary: 'The module type catalog, each with its latest JSON Schema',
          tags: ['module-types'],
          responses: { 200: { type: 'array', items: { $ref: '#/components/schemas/ModuleTypeInfo' } } },
        },
      },
    },
    async () => catalog.moduleTypes().map((info) => describe(info, info.latest)),
  );

  app.get(
    `${base}/:type`,
    {
      schema: {
        params: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
        querystring: { type: 'object', properties: { version: { type: 'integer', minimum: 1 } } },
      },
      config: {
        openapi: {
          summary: 'One module type with the JSON Schema of a version (default: latest)',
          tags: ['module-types'],
          responses: { 200: { $ref: '#/components/schemas/ModuleTypeInfo' } },
        },
      },
    },
    async (request) => {
      const { type } = request.params as { type: string };
      const { version } = request.query as { version?: number };
      const info = catalog.moduleType(type);
      if (!info) throw new ModmqError('MODMQ_UNKNOWN_MODULE_TYPE', `unknown module type ${JSON.stringify(type)}`, 404);
      const wanted = version ?? info.latest;
      if (!info.versions.includes(wanted)) {
        throw new ModmqError('MODMQ_NOT_FOUND', `module type ${type} has no schema version ${wanted}`, 404, [], {
          versions: info.versions,
        });
      }
      return describe(info, wanted);
    },
  );
}
