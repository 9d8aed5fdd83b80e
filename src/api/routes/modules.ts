import type { FastifyInstance } from 'fastify';
import type { ModuleInput, ModulePatch, WriteOptions } from '../../modules/runtime/module-service.js';
import type { ModuleStatus } from '../../modules/runtime/module-status.js';
import type { ModuleRecord } from '../../store/cluster-document.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';
import { revealQuery, revealSecrets, setEtag, writeOptions } from '../request-helpers.js';
import { redactRecord, restoreSecrets, secretPointersOf } from '../secrets.js';
import { waitQuery, waitForApply } from './wait.js';
import { moduleAcrossNodes, pendingStatus } from '../../cluster/node-status.js';
import { clusterNodesOf } from './nodes.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const createBody = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', minLength: 1 },
    config: { type: 'object' },
    enabled: { type: 'boolean' },
    description: { type: 'string' },
    id: { type: 'string', minLength: 1 },
    schemaVersion: { type: 'integer', minimum: 1 },
    revision: { type: 'integer', minimum: 0 },
  },
} as const;

const patchBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    config: { type: 'object' },
    enabled: { type: 'boolean' },
    description: { type: 'string' },
    schemaVersion: { type: 'integer', minimum: 1 },
    revision: { type: 'integer', minimum: 0 },
  },
} as const;

const revisionOnlyBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { revision: { type: 'integer', minimum: 0 } },
} as const;

const writeQuery = { type: 'object', properties: { ...revealQuery, ...waitQuery } } as const;

const moduleResult = {
  type: 'object',
  properties: { revision: { type: 'integer' }, module: { $ref: '#/components/schemas/ModuleRecord' } },
};

/** A node that has not reconciled a module yet reports it as starting (or disabled). */
function statusFor(deps: ApiDeps, record: ModuleRecord): ModuleStatus {
  return deps.status().modules.find((s) => s.id === record.id) ?? pendingStatus(record);
}

export function registerModuleRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { service, catalog } = deps;
  const base = `${API_PREFIX}/modules`;

  /** Writes the stored secret back wherever the body has "******" (round trip of a redacted read). */
  async function withStoredSecrets(
    id: string | undefined,
    type: string | undefined,
    schemaVersion: number | undefined,
    config: Record<string, unknown> | undefined,
    options: WriteOptions,
  ): Promise<Record<string, unknown> | undefined> {
    if (config === undefined) return config;
    const current = await service.cluster();
    const stored =
      id === undefined ? undefined : current.document.modules.find((m) => m.id === id && (type === undefined || m.type === type));
    const pointers = secretPointersOf(catalog, type ?? stored?.type ?? '', schemaVersion ?? stored?.schemaVersion);
    const result = restoreSecrets(config, stored?.config, pointers, '/config');
    // The restored value came from this revision: make the write conditional on it.
    if (result.restored > 0 && options.expectedRevision === undefined) options.expectedRevision = current.revision;
    return result.config as Record<string, unknown>;
  }

  app.get(
    base,
    {
      schema: { querystring: { type: 'object', properties: revealQuery } },
      config: {
        openapi: {
          summary: 'List modules with their status on this node',
          tags: ['modules'],
          responses: {
            200: {
              type: 'object',
              properties: {
                revision: { type: 'integer' },
                appliedRevision: { type: 'integer' },
                node: { type: 'string' },
                cluster: { type: ['string', 'null'], description: 'Cluster name; null on a node without a cluster.' },
                clusterError: { type: 'string', description: 'The other nodes could not be read (Redis down): `nodes` lists this node only.' },
                modules: {
                  type: 'array',
                  items: {
                    allOf: [
                      { $ref: '#/components/schemas/ModuleRecord' },
                      {
                        type: 'object',
                        properties: {
                          status: { $ref: '#/components/schemas/ModuleStatus' },
                          nodes: { type: 'array', items: { $ref: '#/components/schemas/ModuleNodeStatus' } },
                          clusterStatus: { $ref: '#/components/schemas/ModuleClusterStatus' },
                        },
                      },
                    ],
                  },
                },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const reveal = revealSecrets(request);
      const { revision, value } = await service.list();
      const nodeStatus = deps.status();
      const view = await clusterNodesOf(deps);
      setEtag(reply, revision);
      return {
        revision,
        appliedRevision: nodeStatus.appliedRevision,
        node: deps.nodeName,
        cluster: view.cluster,
        ...(view.error ? { clusterError: view.error } : {}),
        modules: value.map((m) => {
          const across = moduleAcrossNodes(m, view.nodes);
          return { ...redactRecord(m, catalog, reveal), status: statusFor(deps, m), nodes: across.nodes, clusterStatus: across.cluster };
        }),
      };
    },
  );

  app.post(
    base,
    {
      schema: { body: createBody, querystring: writeQuery },
      config: { openapi: { summary: 'Add a module', tags: ['modules'], body: 'ModuleCreate', responses: { 201: moduleResult } } },
    },
    async (request, reply) => {
      const reveal = revealSecrets(request);
      const body = request.body as ModuleInput & { revision?: number };
      const options = writeOptions(request, body.revision);
      const input: ModuleInput = { type: body.type };
      const config = await withStoredSecrets(body.id, body.type, body.schemaVersion, body.config, options);
      if (config !== undefined) input.config = config;
      if (body.enabled !== undefined) input.enabled = body.enabled;
      if (body.description !== undefined) input.description = body.description;
      if (body.id !== undefined) input.id = body.id;
      if (body.schemaVersion !== undefined) input.schemaVersion = body.schemaVersion;
      const { revision, value } = await service.add(input, options);
      const applied = await waitForApply(request, deps, revision);
      setEtag(reply, revision);
      reply.header('location', `${base}/${encodeURIComponent(value.id)}`);
      return reply.status(201).send({ revision, module: redactRecord(value, catalog, reveal), ...applied });
    },
  );

  app.get(
    `${base}/:id`,
    {
      schema: { params: idParams, querystring: { type: 'object', properties: revealQuery } },
      config: {
        openapi: {
          summary: 'One module with its status on this node',
          tags: ['modules'],
          responses: {
            200: {
              type: 'object',
              properties: {
                revision: { type: 'integer' },
                module: { $ref: '#/components/schemas/ModuleRecord' },
                status: { $ref: '#/components/schemas/ModuleStatus' },
                nodes: { type: 'array', items: { $ref: '#/components/schemas/ModuleNodeStatus' } },
                clusterStatus: { $ref: '#/components/schemas/ModuleClusterStatus' },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const reveal = revealSecrets(request);
      const { id } = request.params as { id: string };
      const { revision, value } = await service.get(id);
      const across = moduleAcrossNodes(value, (await clusterNodesOf(deps)).nodes);
      setEtag(reply, revision);
      return {
        revision,
        module: redactRecord(value, catalog, reveal),
        status: statusFor(deps, value),
        nodes: across.nodes,
        clusterStatus: across.cluster,
      };
    },
  );

  app.put(
    `${base}/:id`,
    {
      schema: { params: idParams, body: patchBody, querystring: writeQuery },
      config: { openapi: { summary: 'Change a module', tags: ['modules'], body: 'ModulePatch', responses: { 200: moduleResult } } },
    },
    async (request, reply) => {
      const reveal = revealSecrets(request);
      const { id } = request.params as { id: string };
      const body = request.body as ModulePatch & { revision?: number };
      const options = writeOptions(request, body.revision);
      const patch: ModulePatch = {};
      const config = await withStoredSecrets(id, undefined, body.schemaVersion, body.config, options);
      if (config !== undefined) patch.config = config;
      if (body.enabled !== undefined) patch.enabled = body.enabled;
      if (body.description !== undefined) patch.description = body.description;
      if (body.schemaVersion !== undefined) patch.schemaVersion = body.schemaVersion;
      const { revision, value } = await service.update(id, patch, options);
      const applied = await waitForApply(request, deps, revision);
      setEtag(reply, revision);
      return { revision, module: redactRecord(value, catalog, reveal), ...applied };
    },
  );

  app.delete(
    `${base}/:id`,
    {
      schema: { params: idParams, querystring: { type: 'object', properties: waitQuery } },
      config: {
        openapi: {
          summary: 'Remove a module',
          tags: ['modules'],
          responses: { 200: { type: 'object', properties: { revision: { type: 'integer' } } } },
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { revision } = await service.remove(id, writeOptions(request));
      const applied = await waitForApply(request, deps, revision);
      setEtag(reply, revision);
      return { revision, ...applied };
    },
  );

  for (const action of ['enable', 'disable'] as const) {
    app.post(
      `${base}/:id/${action}`,
      {
        schema: { params: idParams, body: revisionOnlyBody, querystring: writeQuery },
        config: { openapi: { summary: `${action === 'enable' ? 'Enable' : 'Disable'} a module`, tags: ['modules'], responses: { 200: moduleResult } } },
      },
      async (request, reply) => {
        const reveal = revealSecrets(request);
        const { id } = request.params as { id: string };
        const body = (request.body ?? {}) as { revision?: number };
        const { revision, value } = await service.setEnabled(id, action === 'enable', writeOptions(request, body.revision));
        const applied = await waitForApply(request, deps, revision);
        setEtag(reply, revision);
        return { revision, module: redactRecord(value, catalog, reveal), ...applied };
      },
    );
  }
}
