import type { ClusterDocument, ModuleRecord } from '../../store/cluster-document.js';
import type { Revision, RevisionSummary } from '../../store/config-store.js';

/** Who is writing, and the revision their change was based on (compare-and-set when given). */
export interface WriteOptions {
  author: string;
  expectedRevision?: number;
}

export interface ModuleInput {
  type: string;
  config?: Record<string, unknown>;
  enabled?: boolean;
  description?: string;
  /** Defaults to the type name for singleton types, `<type>:<n>` otherwise. */
  id?: string;
  /** Defaults to the latest schema version of the type. */
  schemaVersion?: number;
}

export interface ModulePatch {
  config?: Record<string, unknown>;
  enabled?: boolean;
  description?: string;
  schemaVersion?: number;
}

export interface WriteResult<T> {
  revision: number;
  value: T;
}

/**
 * The one place that changes the desired cluster state. The API and the CLI (through the API)
 * call it; it validates (schema + the type's `check`), builds the next document and commits it to
 * the config store with compare-and-set. It throws {@link ModmqError}: 400 with problems for
 * invalid input, 404 for unknown ids, 409 for a stale `expectedRevision`. A rejected change stores
 * nothing. Applying is the reconciler's job, not this service's.
 */
export interface ModuleService {
  cluster(): Promise<Revision>;
  replaceCluster(document: unknown, options: WriteOptions): Promise<WriteResult<ClusterDocument>>;
  list(): Promise<WriteResult<ModuleRecord[]>>;
  get(id: string): Promise<WriteResult<ModuleRecord>>;
  add(input: ModuleInput, options: WriteOptions): Promise<WriteResult<ModuleRecord>>;
  /** Whole replacement of config/enabled/description (PUT semantics for the fields given). */
  update(id: string, patch: ModulePatch, options: WriteOptions): Promise<WriteResult<ModuleRecord>>;
  setEnabled(id: string, enabled: boolean, options: WriteOptions): Promise<WriteResult<ModuleRecord>>;
  remove(id: string, options: WriteOptions): Promise<WriteResult<null>>;
  history(limit?: number): Promise<RevisionSummary[]>;
  /** Restores an old revision's document as a new revision (re-validated against today's schemas). */
  restore(revision: number, options: WriteOptions): Promise<WriteResult<ClusterDocument>>;
}
