/**
 * Turns one configured request (url, method, headers, params) and the filled-in param values into
 * the HTTP request 4.x sent: GET puts the params in the query string and drops content-type; POST
 * encodes them as the body per content-type (form when absent, JSON when it says json).
 */
import type { HttpRequestConfig } from './config.js';

export interface BuiltRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string | undefined;
}

export const FORM = 'application/x-www-form-urlencoded';

export function buildRequest(config: HttpRequestConfig, params: Record<string, string>): BuiltRequest {
  const url = new URL(config.url);
  const headers: Record<string, string> = {};
  // 4.3+ normalised header names: lower case, `_` -> `-`.
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase().replace(/_/g, '-')] = value;
  if (config.method === 'get') {
    delete headers['content-type'];
    for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
    return { url, method: 'GET', headers, body: undefined };
  }
  const contentType = headers['content-type'] ?? FORM;
  headers['content-type'] = contentType;
  const body = /json/i.test(contentType) ? JSON.stringify(params) : new URLSearchParams(params).toString();
  return { url, method: 'POST', headers, body };
}
