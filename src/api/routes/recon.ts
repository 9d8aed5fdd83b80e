import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseDurationMs } from '../../broker/duration.js';
import { ModmqError } from '../../errors.js';
import { RECON_SERVICE, type ReconService, type TopClientsBy } from '../../modules/recon/service.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';

/** The running module's service after taking one request from its rate limit (503 / 429 otherwise). */
function admit(deps: ApiDeps, reply: FastifyReply): ReconService {
  const service = deps.services?.get<ReconService>(RECON_SERVICE);
  if (!service) throw new ModmqError('MODMQ_MODULE_NOT_RUNNING', 'the recon module is not running on this node', 503);
  const taken = service.acquire();
  if (!taken.ok) {
    reply.header('retry-after', String(taken.retryAfterSeconds));
    throw new ModmqError('MODMQ_RATE_LIMITED', `too many recon requests; retry in ${taken.retryAfterSeconds} s`, 429, [], {
      retryAfter: taken.retryAfterSeconds,
    });
  }
  return service;
}

const stamp = (): string => new Date().toISOString().replace(/[:.]/g, '-');
const safeName = (name: string): string => name.replace(/[^A-Za-z0-9_.-]/g, '_');
const obj = { type: 'object', additionalProperties: true };

/** Runtime diagnostics of this node (module recon): admin only, rate-limited by the module. */
export function registerReconRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const base = `${API_PREFIX}/recon`;
  const doc = (summary: string, responses: Record<number, object> = { 200: obj }, extra: Record<string, unknown> = {}) => ({
    adminOnly: true,
    openapi: { summary, tags: ['recon'], responses, ...extra },
  });

  app.get(`${base}/event-loop`, { config: doc('Event-loop delay percentiles (ms) and utilization since the module started') }, async (_req, reply) =>
    admit(deps, reply).eventLoop(),
  );

  app.get(`${base}/memory`, { config: doc('Process memory, V8 heap and heap spaces, GC counts and pauses') }, async (_req, reply) =>
    admit(deps, reply).memory(),
  );

  app.get(`${base}/handles`, { config: doc('Active libuv handles and requests by type') }, async (_req, reply) => admit(deps, reply).handles());

  app.get(
    `${base}/top-clients`,
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            by: { type: 'string', enum: ['inflight', 'queued', 'rate'], default: 'inflight' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
          },
        },
      },
      config: doc('The clients with the most inflight or queued messages, or the highest message rate'),
    },
    async (request, reply) => {
      const { by, limit } = request.query as { by: TopClientsBy; limit: number };
      return admit(deps, reply).topClients(by, limit);
    },
  );

  app.get(
    `${base}/cpu-profile`,
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { duration: { type: 'string', pattern: '^[0-9]+(ms|s|m)?$', default: '5s', description: 'At most max_profile_duration' } },
        },
      },
      config: doc('Record a CPU profile for a bounded duration; download as .cpuprofile (Chrome DevTools)', { 200: obj }),
    },
    async (request, reply) => {
      const { duration } = request.query as { duration: string };
      const service = admit(deps, reply);
      // The default asks for 5 s but never more than the configured bound.
      const requested = Math.min(parseDurationMs(duration), duration === '5s' ? service.maxProfileDurationMs() : Infinity);
      const profile = await service.cpuProfile(requested);
      request.log.info({ durationMs: requested }, 'CPU profile recorded');
      return reply
        .header('content-disposition', `attachment; filename="${safeName(`modmq-${deps.nodeName}-${stamp()}.cpuprofile`)}"`)
        .type('application/json')
        .send(JSON.stringify(profile));
    },
  );

  app.get(
    `${base}/heap-snapshot`,
    { config: doc('Download a heap snapshot (.heapsnapshot; off unless heap_snapshot = true)', { 200: obj }) },
    async (request, reply) => {
      const stream = admit(deps, reply).heapSnapshot();
      request.log.warn('heap snapshot downloaded');
      return reply
        .header('content-disposition', `attachment; filename="${safeName(`modmq-${deps.nodeName}-${stamp()}.heapsnapshot`)}"`)
        .type('application/json')
        .send(stream);
    },
  );
}
