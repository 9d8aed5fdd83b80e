/**
 * A small fetch client for the management API (`/api/v1`). Base URL from `--api` or MODMQ_API_URL
 * (default http://127.0.0.1:18083); credentials from `--auth user:secret`, MODMQ_API_AUTH, or
 * `admin:$MODMQ_ADMIN_PASSWORD`. Errors become ApiError (the node answered 4xx/5xx, exit 1) or
 * UnreachableError (no answer, exit 2); `reportApiError` prints them the same way for every command.
 */
import type { CliIo } from './io.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:18083';

export interface ApiClientOptions {
  api?: string | undefined;
  auth?: string | undefined;
}

export interface ApiProblem {
  pointer?: string;
  message?: string;
  keyword?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: ApiProblem[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class UnreachableError extends Error {
  constructor(readonly url: string, cause: unknown) {
    super(`cannot reach the modmq API at ${url}: ${describeCause(cause)}`);
    this.name = 'UnreachableError';
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as Error & { cause?: unknown }).cause;
    if (inner instanceof Error && inner.message) return inner.message;
    return cause.message;
  }
  return String(cause);
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as `If-Match: <revision>` (compare-and-set). */
  ifMatch?: number | string | undefined;
  query?: Record<string, string | number | boolean | undefined>;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly authorization: string | undefined;

  constructor(
    private readonly io: Pick<CliIo, 'env' | 'fetch'>,
    options: ApiClientOptions = {},
  ) {
    this.baseUrl = (options.api ?? io.env['MODMQ_API_URL'] ?? DEFAULT_API_URL).replace(/\/+$/, '');
    const auth =
      options.auth ??
      io.env['MODMQ_API_AUTH'] ??
      (io.env['MODMQ_ADMIN_PASSWORD'] ? `admin:${io.env['MODMQ_ADMIN_PASSWORD']}` : undefined);
    this.authorization = auth ? `Basic ${Buffer.from(auth, 'utf8').toString('base64')}` : undefined;
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.authorization) headers['authorization'] = this.authorization;
    if (options.ifMatch !== undefined) headers['if-match'] = String(options.ifMatch);
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.io.fetch(url, init);
    } catch (err) {
      throw new UnreachableError(this.baseUrl, err);
    }
    const text = await response.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) throw toApiError(response, body);
    return body as T;
  }
}

function toApiError(response: Response, body: unknown): ApiError {
  if (typeof body === 'object' && body !== null) {
    const b = body as { code?: unknown; message?: unknown; problems?: unknown };
    const code = typeof b.code === 'string' ? b.code : `HTTP_${response.status}`;
    const message = typeof b.message === 'string' ? b.message : response.statusText;
    const problems = Array.isArray(b.problems) ? (b.problems as ApiProblem[]) : [];
    return new ApiError(response.status, code, message, problems);
  }
  const message = typeof body === 'string' && body ? body : response.statusText || 'request failed';
  return new ApiError(response.status, `HTTP_${response.status}`, message, []);
}

/** Prints an API failure as `code: message` plus `  pointer: message [keyword]`; returns the exit code. */
export function reportApiError(err: unknown, io: Pick<CliIo, 'err'>): number {
  if (err instanceof ApiError) {
    io.err(`${err.code}: ${err.message}`);
    for (const p of err.problems) {
      const keyword = p.keyword ? ` [${p.keyword}]` : '';
      io.err(`  ${p.pointer || '/'}: ${p.message ?? ''}${keyword}`);
    }
    return 1;
  }
  if (err instanceof UnreachableError) {
    io.err(err.message);
    return 2;
  }
  throw err;
}
