import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * What the API logs about a request: method, path and peer, and the status code. Never headers
 * (Authorization carries credentials), never bodies (module configs carry secrets), never the
 * query string.
 */
export const safeLogSerializers = {
  req(request: FastifyRequest): Record<string, unknown> {
    return { method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip };
  },
  res(reply: FastifyReply): Record<string, unknown> {
    return { statusCode: reply.statusCode };
  },
};
