import type { FastifyInstance } from 'fastify';
import type { ClusterNodes } from '../../cluster/cluster-view.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX, VERSION } from '../app.js';

/** The cluster view of the node, or (an API built without one, as in unit tests) this node alone. */
export async function clusterNodesOf(deps: ApiDeps): Promise<ClusterNodes> {
  if (deps.nodes) return deps.nodes();
  const status = deps.status();
  const now = new Date().toISOString();
  return {
    cluster: null,
    nodes: [
      {
        name: deps.nodeName,
        version: VERSION,
        startedAt: now,
        lastSeen: now,
        api: { host: '', port: 0 },
        listeners: [],
        self: true,
        appliedRevision: status.appliedRevision,
        modules: status.modules,
      },
    ],
  };
}

export function registerNodeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    `${API_PREFIX}/nodes`,
    {
      config: {
        openapi: {
          summary: 'Live nodes of the cluster with their module status (this node alone without a cluster)',
          tags: ['status'],
          responses: {
            200: {
              type: 'object',
              required: ['cluster', 'nodes'],
              properties: {
                cluster: { type: ['string', 'null'], description: 'Cluster name; null on a node without a cluster.' },
                revision: { type: 'integer', description: 'Latest revision of the cluster document (absent when the store cannot be read).' },
                nodes: { type: 'array', items: { $ref: '#/components/schemas/ClusterNode' } },
                error: { type: 'string', description: 'The cluster could not be read (Redis down): only this node is listed.' },
              },
            },
          },
        },
      },
    },
    async () => {
      // The listing must work while the store cannot be read (Redis down): then without revision.
      const [view, revision] = await Promise.all([
        clusterNodesOf(deps),
        deps.service.cluster().then((c) => c.revision, () => undefined),
      ]);
      return {
        cluster: view.cluster,
        ...(revision !== undefined ? { revision } : {}),
        nodes: view.nodes,
        ...(view.error ? { error: view.error } : {}),
      };
    },
  );
}
