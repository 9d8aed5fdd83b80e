import type { ClusterDocument } from './cluster-document.js';

/** One stored revision of the cluster document. Revisions only ever grow; a rollback is a new one. */
export interface Revision {
  revision: number;
  document: ClusterDocument;
  /** Who made the change: `admin`, an API key id, `cli`, `migrator`, `system`. */
  author: string;
  /** ISO 8601. */
  at: string;
  /** One line saying what changed (`update module topic-rewrite`, `rollback to 7`). */
  summary: string;
}

export type RevisionSummary = Omit<Revision, 'document'>;

export interface CommitRequest {
  document: ClusterDocument;
  author: string;
  summary: string;
  /**
   * Compare-and-set: the revision the change was based on. When given and not the current
   * revision, the commit fails with {@link RevisionConflictError} and changes nothing.
   */
  expectedRevision?: number;
}

export class RevisionConflictError extends Error {
  readonly code = 'MODMQ_REVISION_CONFLICT';
  constructor(readonly expected: number, readonly current: number) {
    super(`revision conflict: change was based on revision ${expected}, current is ${current}`);
  }
}

/**
 * Where the desired cluster state lives: SQLite for one node (`sqlite-store.ts`), Redis for a
 * cluster (the cluster issue). Validation happens before a commit; the store only orders writes.
 */
export interface ConfigStore {
  /** The latest revision (revision 0 with an empty document on a fresh store). */
  current(): Promise<Revision>;
  get(revision: number): Promise<Revision | undefined>;
  commit(request: CommitRequest): Promise<Revision>;
  /** Newest first. */
  history(limit?: number): Promise<RevisionSummary[]>;
  /**
   * Called after any commit (from this process or another writer). Level-triggered: listeners
   * re-read `current()`, so a missed notification is repaired by the next one.
   */
  watch(listener: (revision: number) => void): () => void;
  close(): Promise<void>;
}
