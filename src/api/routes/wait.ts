import type { FastifyRequest } from 'fastify';
import type { ApiDeps } from '../app.js';

const WAIT_LIMIT_MS = 30_000;

export const waitQuery = {
  wait: { type: 'boolean', description: 'Answer only after this node applied the new revision (up to 30 s).' },
} as const;

/**
 * `?wait=true` on a write: wait (bounded) until this node's reconciler applied the revision, and
 * say whether it did. Without the flag or without a reconciler, answers at once with nothing extra.
 */
export async function waitForApply(request: FastifyRequest, deps: ApiDeps, revision: number): Promise<{ applied?: boolean }> {
  const query = request.query as { wait?: unknown } | undefined;
  if (!(query?.wait === true || query?.wait === 'true') || !deps.whenApplied) return {};
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), WAIT_LIMIT_MS);
    timer.unref();
  });
  try {
    const applied = await Promise.race([deps.whenApplied(revision).then(() => true), timeout]);
    return { applied };
  } finally {
    clearTimeout(timer);
  }
}
