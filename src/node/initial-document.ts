import { type ConfigStore, type Revision, RevisionConflictError } from '../store/config-store.js';
import { emptyDocument, type ClusterDocument } from '../store/cluster-document.js';

export const INITIAL_AUTHOR = 'system';
export const INITIAL_SUMMARY = 'initial cluster document';

/**
 * The document a fresh cluster starts with. EMQX loads its retainer by default, so users get
 * retained messages out of the box; everything else is opt-in.
 */
export function initialDocument(): ClusterDocument {
  const document = emptyDocument();
  document.modules.push({
    id: 'retainer',
    type: 'retainer',
    schemaVersion: 1,
    enabled: true,
    config: {
      storage_type: 'ram',
      max_retained_messages: 0,
      max_payload_size: '1MB',
      expiry_interval: '0s',
      stop_publish_clear_msg: false,
    },
  });
  return document;
}

/**
 * On a fresh store (revision 0) commits {@link initialDocument} as revision 1; otherwise, or when
 * another writer got there first, returns the current revision untouched.
 */
export async function ensureInitialDocument(store: ConfigStore): Promise<Revision> {
  const current = await store.current();
  if (current.revision !== 0) return current;
  try {
    return await store.commit({ document: initialDocument(), author: INITIAL_AUTHOR, summary: INITIAL_SUMMARY, expectedRevision: 0 });
  } catch (error) {
    if (error instanceof RevisionConflictError) return store.current();
    throw error;
  }
}
