/**
 * A module's state on this node, as the API, the CLI and /metrics show it.
 * - `disabled`: in the document with enabled=false; nothing runs.
 * - `unavailable`: this node has no implementation (schema only, or an optional dependency missing).
 * - `failed`: the last create/update failed; `error` says why. If an older instance still serves,
 *   `servingRevision` is the revision whose config it runs.
 */
export type ModuleState = 'starting' | 'running' | 'degraded' | 'failed' | 'disabled' | 'unavailable';

export interface ModuleStatus {
  id: string;
  type: string;
  state: ModuleState;
  /** Revision of the cluster document whose config this node runs for the module (if any). */
  servingRevision: number | null;
  reason?: string;
  error?: string;
  since: string;
}

export interface NodeModuleStatus {
  node: string;
  /** Revision of the cluster document this node has finished applying. */
  appliedRevision: number;
  modules: ModuleStatus[];
}
