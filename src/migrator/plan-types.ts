/** What the migrator computes per node before merging (see plan.ts, merge.ts, report.ts). */
import type { KeyOutcome } from '../../migrations/legacy/mapping.js';
import type { Location } from './legacy-node.js';

/** One module a node (or the EE export) contributes. */
export interface PlannedModule {
  /** `<type>` for singletons, `<type>:<name>` otherwise. */
  id: string;
  type: string;
  /** The mapping's source (`emqx_auth_mysql`, `emqx.conf:modules`, `ee:mysql_authentication`). */
  source: string;
  /** Loaded on this node (loaded_plugins / loaded_modules / EE `enabled`). */
  enabled: boolean;
  config: Record<string, unknown>;
  /** JSON pointer (inside config) -> where its value was written, for conflict reports. */
  locations: Map<string, Location>;
  /** Position in data/loaded_plugins (auth chain order); Infinity when not listed. */
  loadOrder: number;
}

/** A value with where it came from (settings and node config). */
export interface Located<T = unknown> {
  value: T;
  location?: Location;
}

/** A key outcome with the node and file it belongs to (report.json `keys[]` before shaping). */
export interface NodeKeyOutcome extends KeyOutcome {
  node: string;
  /** True for a key set by the node's env file (its location is the env file's line). */
  fromEnv?: boolean;
  /** For a key set by the node's env file: the file lines whose value it replaced. */
  overrides?: Location[];
}

export interface PlanWarning {
  code: string;
  message: string;
  node: string;
  location?: Location;
}

export interface NodePlan {
  node: string;
  version?: string;
  modules: PlannedModule[];
  /** Settings pointer (under /settings) -> value. */
  settings: Map<string, Located>;
  /** Node config pointer -> value. */
  nodeConfig: Map<string, Located>;
  keys: NodeKeyOutcome[];
  warnings: PlanWarning[];
  /** File problems (syntax, invalid values the reader rejected): make the run fail. */
  errors: PlanWarning[];
  /** `auth_order` / `acl_order` names, when set. */
  authOrder?: string[];
  aclOrder?: string[];
  /** Users and ACL rows for auth-builtin-db from an EE export (auth_mnesia / acl_mnesia). */
  builtinDb?: { users: unknown[]; acl: unknown[] };
  /** True for the EE export pseudo-node (has no node config). */
  isExport?: boolean;
}
