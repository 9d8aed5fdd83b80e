import type { Problem } from './schema/problem.js';

/**
 * The one error shape that crosses layers. `code` is stable (scripts match on it), `status` is the
 * HTTP status the API answers with, `problems` carries validation details as data.
 */
export class ModmqError extends Error {
  constructor(
    readonly code: ModmqErrorCode,
    message: string,
    readonly status: number,
    readonly problems: Problem[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ModmqError';
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, problems: this.problems, ...this.details };
  }
}

export type ModmqErrorCode =
  | 'MODMQ_INVALID_CONFIG'
  | 'MODMQ_INVALID_REQUEST'
  | 'MODMQ_UNKNOWN_MODULE_TYPE'
  | 'MODMQ_MODULE_NOT_FOUND'
  | 'MODMQ_MODULE_EXISTS'
  | 'MODMQ_REVISION_NOT_FOUND'
  | 'MODMQ_REVISION_CONFLICT'
  | 'MODMQ_UNAUTHORIZED'
  | 'MODMQ_FORBIDDEN'
  | 'MODMQ_NOT_FOUND'
  | 'MODMQ_NODE_CONFIG'
  | 'MODMQ_MODULE_NOT_RUNNING'
  | 'MODMQ_RATE_LIMITED'
  | 'MODMQ_ALREADY_EXISTS'
  | 'MODMQ_INTERNAL';

export const invalidConfig = (message: string, problems: Problem[]): ModmqError =>
  new ModmqError('MODMQ_INVALID_CONFIG', message, 400, problems);

export const notFound = (code: 'MODMQ_MODULE_NOT_FOUND' | 'MODMQ_REVISION_NOT_FOUND' | 'MODMQ_NOT_FOUND', message: string): ModmqError =>
  new ModmqError(code, message, 404);

export const conflict = (message: string, details: Record<string, unknown> = {}): ModmqError =>
  new ModmqError('MODMQ_REVISION_CONFLICT', message, 409, [], details);
