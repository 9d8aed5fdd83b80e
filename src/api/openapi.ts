import type { SchemaCatalog } from '../schema/catalog.js';
import { collectCatalog, ComponentCollector, defaultSchemaResolver } from './openapi-schemas.js';

/** A route as fastify's onRoute hook saw it. */
export interface CollectedRoute {
  method: string;
  url: string;
  schema: unknown;
  config: unknown;
}

/** The `openapi` part of a route's fastify `config`. */
export interface OpenApiRouteConfig {
  summary?: string;
  description?: string;
  tags?: string[];
  /** A request body component built from the catalog, instead of the route's own body schema. */
  body?: 'ModuleCreate' | 'ModulePatch' | 'ClusterPut';
  responses?: Record<number, object>;
  responseContentType?: string;
}

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const WRITE_METHODS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);
const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created' };

/**
 * The OpenAPI 3.1 document, generated from the registered routes (their fastify schemas plus
 * the `config.openapi` notes) and the catalog's JSON Schemas: module bodies are a `oneOf` of
 * per-type objects whose `config` refers to that type's schema component.
 */
export function buildOpenApi(
  routes: CollectedRoute[],
  catalog: SchemaCatalog,
  resolveSchema: (id: string) => object | undefined = defaultSchemaResolver,
): object {
  const collector = new ComponentCollector(resolveSchema);
  const names = collectCatalog(collector, catalog);
  collector.flush();
  const schemas: Record<string, object> = { ...collector.components };

  const configSchema = (versions: Map<number, string> | undefined): object => {
    const refs = [...(versions?.values() ?? [])].map(ref);
    return refs.length === 1 ? (refs[0] as object) : { oneOf: refs };
  };
  const recordRefs: Record<string, string> = {};
  const createRefs: Record<string, string> = {};
  for (const [type, versions] of names.modules) {
    const common = {
      type: { const: type },
      schemaVersion: { type: 'integer', enum: [...versions.keys()] },
      enabled: { type: 'boolean' },
      description: { type: 'string' },
      config: configSchema(versions),
    };
    schemas[`ModuleRecord.${type}`] = {
      type: 'object',
      required: ['id', 'type', 'schemaVersion', 'enabled', 'config'],
      properties: { id: { type: 'string' }, ...common },
    };
    schemas[`ModuleCreate.${type}`] = {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: {
        ...common,
        id: { type: 'string', description: 'Default: the type for singletons, `<type>:<n>` otherwise.' },
        revision: { type: 'integer', description: 'Compare-and-set (same as If-Match).' },
      },
    };
    recordRefs[type] = `#/components/schemas/ModuleRecord.${type}`;
    createRefs[type] = `#/components/schemas/ModuleCreate.${type}`;
  }
  const typed = (refs: Record<string, string>): object => ({
    oneOf: Object.values(refs).map(($ref) => ({ $ref })),
    discriminator: { propertyName: 'type', mapping: refs },
  });
  schemas['ModuleRecord'] = typed(recordRefs);
  schemas['ModuleCreate'] = typed(createRefs);
  schemas['ModulePatch'] = {
    type: 'object',
    additionalProperties: false,
    description: 'Fields given replace the stored ones; `config` is validated against the module type schema.',
    properties: {
      config: { anyOf: [...names.modules.values()].map(configSchema) },
      enabled: { type: 'boolean' },
      description: { type: 'string' },
      schemaVersion: { type: 'integer' },
      revision: { type: 'integer', description: 'Compare-and-set (same as If-Match).' },
    },
  };
  schemas['ClusterDocument'] = ref(names.cluster);
  schemas['ClusterPut'] = {
    oneOf: [
      { type: 'object', required: ['document'], properties: { document: ref('ClusterDocument'), revision: { type: 'integer' } } },
      ref('ClusterDocument'),
    ],
  };
  Object.assign(schemas, fixedSchemas());

  const paths: Record<string, Record<string, object>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'modmq management API',
      version: '1',
      description:
        'Every /api/v1 route needs HTTP Basic (`admin:<password>` or `<key id>:<key secret>`); viewer keys may only read. ' +
        '/metrics is public. Secrets (x-secret) are shown as "******" unless an admin passes `reveal_secrets=true`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas,
      securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } },
      responses: {
        Error: { description: 'An error, as data', content: { 'application/json': { schema: ref('Error') } } },
      },
    },
  };
}

function operation(route: CollectedRoute): object {
  const config = (route.config ?? {}) as { public?: boolean; openapi?: OpenApiRouteConfig };
  const notes = config.openapi ?? {};
  const schema = (route.schema ?? {}) as { params?: ObjectSchema; querystring?: ObjectSchema; body?: object };
  const parameters: object[] = [];
  for (const [name, s] of Object.entries(schema.params?.properties ?? {})) {
    parameters.push({ name, in: 'path', required: true, schema: s });
  }
  for (const [name, s] of Object.entries(schema.querystring?.properties ?? {})) {
    parameters.push({ name, in: 'query', required: schema.querystring?.required?.includes(name) ?? false, schema: s });
  }
  if (WRITE_METHODS.has(route.method) && /\/(modules|cluster|revisions)\b/.test(route.url)) {
    parameters.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'Compare-and-set: the revision this change is based on (`7` or `"7"`); stale -> 409.',
      schema: { type: 'string' },
    });
  }
  const responses: Record<string, object> = {};
  const contentType = notes.responseContentType ?? 'application/json';
  for (const [status, body] of Object.entries(notes.responses ?? { 200: {} })) {
    responses[status] = { description: STATUS_TEXT[Number(status)] ?? 'OK', content: { [contentType]: { schema: body } } };
  }
  if (!config.public) responses['401'] = { $ref: '#/components/responses/Error' };
  responses['default'] = { $ref: '#/components/responses/Error' };
  const op: Record<string, unknown> = {
    operationId: operationId(route.method, route.url),
    summary: notes.summary ?? `${route.method} ${route.url}`,
    tags: notes.tags ?? [],
    parameters,
    responses,
    security: config.public ? [] : [{ basicAuth: [] }],
  };
  if (notes.description) op['description'] = notes.description;
  const body = notes.body ? ref(notes.body) : schema.body;
  if (body) op['requestBody'] = { required: route.method !== 'POST' || notes.body !== undefined, content: { 'application/json': { schema: body } } };
  return op;
}

interface ObjectSchema {
  properties?: Record<string, object>;
  required?: string[];
}

function operationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/v1/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return method.toLowerCase() + words.join('');
}

function fixedSchemas(): Record<string, object> {
  return {
    Error: {
      type: 'object',
      required: ['code', 'message', 'problems'],
      properties: {
        code: { type: 'string', description: 'Stable MODMQ_* code.' },
        message: { type: 'string' },
        problems: {
          type: 'array',
          items: {
            type: 'object',
            required: ['pointer', 'keyword', 'message'],
            properties: { pointer: { type: 'string' }, keyword: { type: 'string' }, message: { type: 'string' } },
          },
        },
        revision: { type: 'integer', description: 'On 409: the current revision.' },
      },
    },
    ModuleStatus: {
      type: 'object',
      required: ['id', 'type', 'state', 'servingRevision', 'since'],
      properties: {
        id: { type: 'string' },
        type: { type: 'string' },
        state: { enum: ['starting', 'running', 'degraded', 'failed', 'disabled', 'unavailable'] },
        servingRevision: { type: ['integer', 'null'] },
        reason: { type: 'string' },
        error: { type: 'string' },
        since: { type: 'string', format: 'date-time' },
      },
    },
    ModuleNodeStatus: {
      type: 'object',
      required: ['node', 'state', 'servingRevision'],
      description: 'One module on one node of the cluster.',
      properties: {
        node: { type: 'string' },
        state: { enum: ['starting', 'running', 'degraded', 'failed', 'disabled', 'unavailable'] },
        servingRevision: { type: ['integer', 'null'] },
        error: { type: 'string' },
        reason: { type: 'string' },
      },
    },
    ModuleClusterStatus: {
      type: 'object',
      required: ['state', 'nodes', 'counts'],
      description: 'One module across the live nodes: `state` is the worst any node reports (failed > unavailable > degraded > starting > running > disabled).',
      properties: {
        state: { enum: ['starting', 'running', 'degraded', 'failed', 'disabled', 'unavailable'] },
        nodes: { type: 'integer', description: 'How many nodes were asked.' },
        counts: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Nodes per state.' },
      },
    },
    ClusterNode: {
      type: 'object',
      required: ['name', 'version', 'startedAt', 'lastSeen', 'api', 'listeners', 'self', 'appliedRevision', 'modules'],
      properties: {
        name: { type: 'string' },
        version: { type: 'string' },
        startedAt: { type: 'string', format: 'date-time' },
        lastSeen: { type: 'string', format: 'date-time', description: 'Last heartbeat.' },
        api: { type: 'object', properties: { host: { type: 'string' }, port: { type: 'integer' } } },
        listeners: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, kind: { type: 'string' }, host: { type: 'string' }, port: { type: 'integer' } },
          },
        },
        self: { type: 'boolean', description: 'The node that answered.' },
        appliedRevision: { type: ['integer', 'null'], description: 'null until the node published its status.' },
        modules: { type: ['array', 'null'], items: { $ref: '#/components/schemas/ModuleStatus' } },
      },
    },
    RevisionSummary: {
      type: 'object',
      required: ['revision', 'author', 'at', 'summary'],
      properties: {
        revision: { type: 'integer' },
        author: { type: 'string' },
        at: { type: 'string', format: 'date-time' },
        summary: { type: 'string' },
      },
    },
    ModuleTypeInfo: {
      type: 'object',
      required: ['type', 'family', 'versions', 'latest', 'singleton', 'schema'],
      properties: {
        type: { type: 'string' },
        family: { enum: ['auth', 'gateway', 'downlink', 'extension', 'ops', 'internal'] },
        title: { type: 'string' },
        description: { type: 'string' },
        versions: { type: 'array', items: { type: 'integer' } },
        latest: { type: 'integer' },
        version: { type: 'integer', description: 'The version `schema` belongs to.' },
        singleton: { type: 'boolean' },
        implemented: { type: 'boolean' },
        schema: { type: 'object', description: 'The JSON Schema (2020-12) of the module config.' },
      },
    },
    Client: {
      type: 'object',
      properties: {
        clientId: { type: 'string' },
        username: { type: 'string' },
        peerHost: { type: 'string' },
        peerPort: { type: 'integer' },
        sockPort: { type: 'integer' },
        listener: { type: 'string' },
        protoName: { type: 'string' },
        protoVer: { type: 'integer' },
        keepalive: { type: 'integer' },
        cleanStart: { type: 'boolean' },
        expiryInterval: { type: 'integer' },
        connectedAt: { type: 'integer', description: 'Epoch ms.' },
        superuser: { type: 'boolean' },
      },
    },
    ApiKey: {
      type: 'object',
      required: ['id', 'name', 'role', 'createdAt'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        role: { enum: ['admin', 'viewer'] },
        createdAt: { type: 'string', format: 'date-time' },
      },
    },
  };
}
