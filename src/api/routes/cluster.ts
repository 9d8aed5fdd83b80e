import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';
import { revealQuery, revealSecrets, setEtag, writeOptions } from '../request-helpers.js';
import { redactDocument, restoreDocumentSecrets } from '../secrets.js';
import { waitForApply, waitQuery } from './wait.js';

const clusterResult = {
  type: 'object',
  properties: { revision: { type: 'integer' }, document: { $ref: '#/components/schemas/ClusterDocument' } },
};

export function registerClusterRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { service, catalog } = deps;
  const url = `${API_PREFIX}/cluster`;

  app.get(
    url,
    {
      schema: { querystring: { type: 'object', properties: revealQuery } },
      config: { openapi: { summary: 'The cluster document and its revision', tags: ['cluster'], responses: { 200: clusterResult } } },
    },
    async (request, reply) => {
      const reveal = revealSecrets(request);
      const current = await service.cluster();
      setEtag(reply, current.revision);
      return { revision: current.revision, document: redactDocument(current.document, catalog, reveal) };
    },
  );

  app.put(
    url,
    {
      schema: { body: { type: 'object' }, querystring: { type: 'object', properties: { ...revealQuery, ...waitQuery } } },
      config: {
        openapi: {
          summary: 'Replace the cluster document (compare-and-set with If-Match or `revision`)',
          description:
            'Body: `{document, revision?}`, or the document itself with If-Match. Secrets sent as "******" keep the stored value of the module with the same id.',
          tags: ['cluster'],
          body: 'ClusterPut',
          responses: { 200: clusterResult },
        },
      },
    },
    async (request, reply) => {
      const reveal = revealSecrets(request);
      const body = request.body as Record<string, unknown>;
      // `{document, revision?}` wrapper, or a bare document ({version, settings, modules}).
      const wrapped = Object.hasOwn(body, 'document') && !Object.hasOwn(body, 'modules');
      const incoming = wrapped ? body['document'] : body;
      const options = writeOptions(request, wrapped ? body['revision'] : undefined);
      const current = await service.cluster();
      const { document, restored } = restoreDocumentSecrets(incoming, current.document, catalog);
      // The restored secrets came from this revision: make the write conditional on it.
      if (restored > 0 && options.expectedRevision === undefined) options.expectedRevision = current.revision;
      const { revision, value } = await service.replaceCluster(document, options);
      const applied = await waitForApply(request, deps, revision);
      setEtag(reply, revision);
      return { revision, document: redactDocument(value, catalog, reveal), ...applied };
    },
  );
}
