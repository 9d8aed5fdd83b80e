/**
 * The cluster document: everything that must be identical on every node. Its JSON Schema is
 * `schemas/cluster/v1.json`; these types mirror it.
 */
export interface ClusterDocument {
  version: 1;
  settings: ClusterSettings;
  /** Ordered: the auth and ACL chains run in this order on every node. */
  modules: ModuleRecord[];
}

export interface ClusterSettings {
  allow_anonymous: boolean;
  acl_nomatch: 'allow' | 'deny';
  acl_deny_action: 'ignore' | 'disconnect';
  acl_cache: { enable: boolean; max_size: number; ttl: string };
}

export interface ModuleRecord {
  /** Stable id, `<type>` for singletons or `<type>:<name>`; unique in the document. */
  id: string;
  type: string;
  schemaVersion: number;
  enabled: boolean;
  config: Record<string, unknown>;
  description?: string;
}

export const DEFAULT_SETTINGS: ClusterSettings = {
  allow_anonymous: true,
  acl_nomatch: 'allow',
  acl_deny_action: 'ignore',
  acl_cache: { enable: true, max_size: 32, ttl: '1m' },
};

export function emptyDocument(): ClusterDocument {
  return { version: 1, settings: structuredClone(DEFAULT_SETTINGS), modules: [] };
}
