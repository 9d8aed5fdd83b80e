/**
 * What the migrator reads from one EMQX 4.x node directory (the zip/docker layout: `etc/`, `data/`),
 * with the source location of everything, so every report line can say file:line.
 * Readers live in `src/migrator/readers/`; `readLegacyNode(dir)` fills this.
 */

/** A place in a legacy file. `file` is relative to the node directory (`etc/plugins/emqx_auth_mysql.conf`). */
export interface Location {
  file: string;
  /** 1-based. */
  line: number;
}

export interface LegacyProblem {
  /** Stable code: `conf-syntax`, `conf-empty-value`, `conf-latin1`, `erl-syntax`, `acl-invalid-rule`, ... */
  code: string;
  message: string;
  location: Location;
}

/** One effective `key = value` setting of a cuttlefish `.conf` file. */
export interface ConfSetting {
  /** The key as written, with `\.` unescaped in `path` only. */
  key: string;
  /** The key split on unescaped dots. */
  path: string[];
  /** The raw value after `$(key)` substitution, before any typing (cuttlefish types by schema). */
  value: string;
  /** Where the effective value was written (a duplicate key: the last value, reported at its own line). */
  location: Location;
  /** Earlier definitions of the same key that the effective one overrode. */
  overridden?: Location[];
}

export interface ConfDocument {
  /** Relative to the node directory. */
  file: string;
  /** Effective settings in the order cuttlefish applies them (duplicates: first position, last value). */
  settings: ConfSetting[];
  problems: LegacyProblem[];
}

/** An entry of `data/loaded_plugins` or `data/loaded_modules`. */
export interface LoadedEntry {
  name: string;
  enabled: boolean;
  location: Location;
}

export type AclWho =
  | { kind: 'all' }
  | { kind: 'user'; value: string | 'all' }
  | { kind: 'client'; value: string | 'all' }
  | { kind: 'ipaddr'; value: string }
  | { kind: 'ipaddrs'; values: string[] }
  | { kind: 'and'; of: AclWho[] }
  | { kind: 'or'; of: AclWho[] };

export type AclTopic = { kind: 'filter'; value: string } | { kind: 'eq'; value: string };

/** One rule of `etc/acl.conf`. `{allow, all}.` has who=all, access=pubsub and topics=undefined (everything). */
export interface AclRule {
  permission: 'allow' | 'deny';
  who: AclWho;
  access: 'publish' | 'subscribe' | 'pubsub';
  /** undefined = the 2-tuple form `{allow|deny, all}`: every topic. */
  topics?: AclTopic[];
  location: Location;
  /** The rule's source text, for reports. */
  text: string;
}

export interface PskEntry {
  identity: string;
  secret: string;
  location: Location;
}

/** The node's `EMQX_*` environment (an env file given for the node), already applied to the files' documents. */
export interface EnvLayer {
  /** The env file as reports name it (relative to the node directory when it is inside it). */
  file: string;
  /** What the environment did beyond replacing values, or could not apply: reported as warnings with env file:line. */
  notes: LegacyProblem[];
}

export interface LegacyNode {
  /** The node directory's base name (used in reports). */
  name: string;
  /** Absolute path. */
  dir: string;
  /** Detected or given 4.x version (`4.2`, `4.4`), when known. */
  version?: string;
  emqxConf?: ConfDocument;
  /** `etc/plugins/<plugin>.conf`, keyed by plugin name (`emqx_auth_mysql`). */
  plugins: Map<string, ConfDocument>;
  loadedPlugins?: LoadedEntry[];
  loadedModules?: LoadedEntry[];
  acl?: { file: string; rules: AclRule[] };
  psk?: { file: string; entries: PskEntry[] };
  /** Set when an env file was given: its settings replaced or joined the documents above (env > file). */
  env?: EnvLayer;
  /** Every problem of every file read, with its location. */
  problems: LegacyProblem[];
}
