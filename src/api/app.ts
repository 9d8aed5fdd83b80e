import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BrokerApi } from '../broker/broker-api.js';
import type { ModuleService } from '../modules/runtime/module-service.js';
import type { NodeModuleStatus } from '../modules/runtime/module-status.js';
import type { ClusterNodes } from '../cluster/cluster-view.js';
import type { SchemaCatalog } from '../schema/catalog.js';
import type { ConfigStore } from '../store/config-store.js';
import { registerAuth } from './auth.js';
import type { CredentialStore } from './credential-store.js';
import { registerErrorHandling } from './errors.js';
import { safeLogSerializers } from './log-serializers.js';
import { buildOpenApi, type CollectedRoute } from './openapi.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerBuiltinDbRoutes } from './routes/builtin-db.js';
import { registerClientRoutes } from './routes/clients.js';
import { registerClusterRoutes } from './routes/cluster.js';
import { registerDelayedRoutes } from './routes/delayed.js';
import { registerRetainerRoutes } from './routes/retainer.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerModuleTypeRoutes } from './routes/module-types.js';
import { registerModuleRoutes } from './routes/modules.js';
import { registerNodeRoutes } from './routes/nodes.js';
import { registerOpenApiRoute } from './routes/openapi.js';
import { registerReconRoutes } from './routes/recon.js';
import { registerRevisionRoutes } from './routes/revisions.js';
import { registerStatusRoute } from './routes/status.js';

export interface ApiDeps {
  service: ModuleService;
  /** The reconciler's view of this node. */
  status: () => NodeModuleStatus;
  /** Resolves once this node applied `revision` (the reconciler's); enables `?wait=true` on writes. */
  whenApplied?: (revision: number) => Promise<void>;
  catalog: SchemaCatalog;
  broker: BrokerApi;
  metrics: Registry;
  credentials: CredentialStore;
  log: Logger;
  nodeName: string;
  /** Optional: old revisions' documents for `GET /revisions/{rev}` (the service has no getter). */
  store?: Pick<ConfigStore, 'get'>;
  /** Optional: whether this node implements a module type; adds `implemented` to /module-types. */
  isImplemented?: (type: string) => boolean;
  /** Services exposed by running modules (`ModuleContext.expose`); routes for them answer 503 while absent. */
  services?: { get<T>(name: string): T | undefined };
  /** Optional: the live nodes of the cluster with their module status (default: this node alone). */
  nodes?: () => Promise<ClusterNodes>;
  /**
   * Optional: loads a JSON Schema by `$id` for OpenAPI generation (shared defs the catalog does not
   * expose). Default: `https://modmq.dev/schemas/<path>` read from the package's `schemas/` folder.
   */
  resolveSchema?: (id: string) => object | undefined;
}

export const API_PREFIX = '/api/v1';
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * The management API: `/api/v1/*` (HTTP Basic, see auth.ts) and `/metrics` (unauthenticated,
 * like EMQX's Prometheus endpoint: it carries counts, never config). Not listening; the caller
 * calls `listen`. Request logs carry method, url and status only: never bodies or headers.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }, { serializers: safeLogSerializers }) as FastifyBaseLogger,
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true, allowUnionTypes: true } },
    bodyLimit: 4 * 1024 * 1024,
    return503OnClosing: true,
  });
  const startedAt = Date.now();
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, schema: route.schema, config: route.config });
    }
  });
  registerErrorHandling(app, async () => (await deps.service.cluster()).revision);
  registerAuth(app, deps.credentials);

  registerModuleRoutes(app, deps);
  registerClusterRoutes(app, deps);
  registerRevisionRoutes(app, deps);
  registerModuleTypeRoutes(app, deps);
  registerClientRoutes(app, deps);
  registerStatusRoute(app, deps, startedAt);
  registerNodeRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  registerBuiltinDbRoutes(app, deps);
  registerDelayedRoutes(app, deps);
  registerRetainerRoutes(app, deps);
  registerReconRoutes(app, deps);
  registerMetricsRoute(app, deps);
  let openapi: object | undefined;
  registerOpenApiRoute(app, () => {
    openapi ??= buildOpenApi(routes, deps.catalog, deps.resolveSchema);
    return openapi;
  });
  await app.ready();
  // Generated once at startup so a broken schema shows up now, not on the first request.
  openapi = buildOpenApi(routes, deps.catalog, deps.resolveSchema);
  return app;
}
