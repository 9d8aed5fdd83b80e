import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ModmqError } from '../errors.js';
import { childPointer, type Problem } from '../schema/problem.js';
import { RevisionConflictError } from '../store/config-store.js';

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * Errors are data: a ModmqError keeps its status and body; fastify's own 4xx (validation, bad
 * JSON, too large) become MODMQ_INVALID_REQUEST; anything else is a logged 500 MODMQ_INTERNAL.
 * `currentRevision` fills in the revision a 409 answers with when the thrower did not say.
 */
export function registerErrorHandling(app: FastifyInstance, currentRevision: () => Promise<number>): void {
  app.setErrorHandler(async (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = await toResponse(error, currentRevision);
    if (status >= 500) request.log.error({ err: error }, 'API request failed');
    if (body['code'] === 'MODMQ_REVISION_CONFLICT' && typeof body['revision'] === 'number') {
      reply.header('etag', `"${body['revision']}"`);
    }
    return reply.status(status).type('application/json').send(body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    return reply.status(404).send({ code: 'MODMQ_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, problems: [] });
  });
}

export async function toResponse(
  error: unknown,
  currentRevision: () => Promise<number>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  if (error instanceof RevisionConflictError) {
    return {
      status: 409,
      body: { code: error.code, message: error.message, problems: [], expected: error.expected, revision: error.current },
    };
  }
  if (error instanceof ModmqError) {
    const body = error.toJSON();
    if (error.code === 'MODMQ_REVISION_CONFLICT' && typeof body['revision'] !== 'number') {
      const current = body['current'] ?? body['currentRevision'];
      body['revision'] = typeof current === 'number' ? current : await currentRevision().catch(() => undefined);
    }
    return { status: error.status, body };
  }
  const fe = error as Partial<FastifyError> & { validation?: AjvLikeError[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const context = fe.validationContext ?? 'body';
    return {
      status: 400,
      body: {
        code: 'MODMQ_INVALID_REQUEST',
        message: `invalid request ${context}`,
        problems: fe.validation.map((e) => toProblem(e, context)),
      },
    };
  }
  const statusCode = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, body: { code: 'MODMQ_INVALID_REQUEST', message: fe.message ?? 'invalid request', problems: [] } };
  }
  return { status: 500, body: { code: 'MODMQ_INTERNAL', message: 'internal error (see the node log)', problems: [] } };
}

function toProblem(error: AjvLikeError, context: string): Problem {
  let pointer = error.instancePath ?? '';
  const missing = error.params?.['missingProperty'];
  if (error.keyword === 'required' && typeof missing === 'string') pointer = childPointer(pointer, missing);
  const extra = error.params?.['additionalProperty'];
  if (error.keyword === 'additionalProperties' && typeof extra === 'string') pointer = childPointer(pointer, extra);
  const prefix = context === 'body' ? '' : `${context}: `;
  return { pointer, keyword: error.keyword ?? 'invalid', message: `${prefix}${error.message ?? 'is invalid'}` };
}
