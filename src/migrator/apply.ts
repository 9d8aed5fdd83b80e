/**
 * `modmq migrate --apply URL`: pushes the migrated cluster document (settings and modules) to a
 * running node with compare-and-set. Idempotent: when the node's document already equals ours
 * (secrets revealed for the comparison, which needs an admin), nothing is written and the
 * revision stays. Credentials: `http://user:pass@host:port` or MODMQ_API_USER / MODMQ_API_PASSWORD.
 */
import { ApiClient } from '../cli/api-client.js';
import type { CliIo } from '../cli/io.js';
import type { ClusterDocument } from '../store/cluster-document.js';
import { jsonEqual } from './json-leaves.js';

export interface ApplyResult {
  changed: boolean;
  revision: number;
  previousRevision: number;
}

interface ClusterAnswer {
  revision: number;
  document: ClusterDocument;
}

export function apiClientFor(url: string, io: Pick<CliIo, 'env' | 'fetch'>): ApiClient {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--apply: '${url}' is not a URL (e.g. http://admin:secret@127.0.0.1:18083)`);
  }
  let auth: string | undefined;
  if (parsed.username !== '') auth = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  else if (io.env['MODMQ_API_USER'] !== undefined) auth = `${io.env['MODMQ_API_USER']}:${io.env['MODMQ_API_PASSWORD'] ?? ''}`;
  parsed.username = '';
  parsed.password = '';
  const base = parsed.toString().replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  return new ApiClient(io, auth === undefined ? { api: base } : { api: base, auth });
}

export async function applyDocument(client: ApiClient, document: ClusterDocument): Promise<ApplyResult> {
  const current = await client.request<ClusterAnswer>('GET', '/cluster', { query: { reveal_secrets: true } });
  if (jsonEqual(current.document, document)) {
    return { changed: false, revision: current.revision, previousRevision: current.revision };
  }
  const answer = await client.request<ClusterAnswer>('PUT', '/cluster', {
    body: { document, revision: current.revision },
    query: { reveal_secrets: true },
  });
  return { changed: true, revision: answer.revision, previousRevision: current.revision };
}
