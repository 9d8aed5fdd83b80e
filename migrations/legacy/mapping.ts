/**
 * The contract of a legacy mapping: one file per EMQX 4.x plugin (or group of `emqx.conf` keys) in
 * `migrations/legacy/`, turning its settings into one module config **and back**. The migrator
 * (`src/migrator/`) reads nodes, runs every mapping, merges nodes and writes the report; a mapping
 * only translates and classifies, it never reads files.
 */
import type { ConfDocument, ConfSetting, LegacyNode, Location } from '../../src/migrator/legacy-node.js';

/**
 * How a legacy key ended up. Every key of every file gets exactly one.
 * - mapped: carried into a module config (target `<module type>#<JSON pointer>`) or the cluster
 *   settings (target `settings#<pointer>`);
 * - node-local: carried into that node's node config (target `node#<pointer>`);
 * - defaulted: equal to the target's default, so nothing needs to be written (target still given);
 * - not-mapped: dropped on purpose, `reason` says why (rule engine, Lua hook, Erlang VM tuning...).
 */
export type KeyClass = 'mapped' | 'node-local' | 'defaulted' | 'not-mapped';

export interface KeyOutcome {
  key: string;
  location: Location;
  class: KeyClass;
  target?: string;
  reason?: string;
  /** True when the value is a secret: reports print `"<redacted>"`. */
  secret?: boolean;
}

export interface MappingWarning {
  code: string;
  message: string;
  location?: Location;
}

export interface ForwardResult {
  /** Module config (schema defaults fill what is absent); undefined when nothing maps to a module. */
  config?: Record<string, unknown>;
  /** Values for this node's node config: JSON pointer into `schemas/node/v1.json` -> value. */
  node?: Record<string, unknown>;
  /** Values for the cluster document's settings: JSON pointer under `/settings` -> value. */
  settings?: Record<string, unknown>;
  keys: KeyOutcome[];
  warnings: MappingWarning[];
  /**
   * Enablement read from the conf itself (4.0 `module.presence = on|off` flags in emqx.conf), which
   * then decides instead of `data/loaded_modules`; undefined = decided by loaded_plugins/loaded_modules.
   */
  enabled?: boolean;
}

export interface ForwardContext {
  node: LegacyNode;
  /** `4.0` ... `4.4` when known; mappings use it where a key's meaning changed between versions. */
  version?: string;
}

/** One legacy line for the reverse direction (`key = value`). */
export interface ConfLine {
  key: string;
  value: string;
}

export interface LegacyMapping {
  /** Plugin name (`emqx_auth_mysql`), or `emqx.conf:<area>` for groups of core keys. */
  readonly source: string;
  /** Target module type, or null for mappings that only feed settings / node config. */
  readonly moduleType: string | null;
  /** Names under which `data/loaded_plugins` / `data/loaded_modules` enable it. */
  readonly loadedAs: readonly string[];
  /** For `emqx.conf` groups: key prefixes this mapping claims (`module.rewrite.`). */
  readonly keyPrefixes?: readonly string[];
  forward(settings: readonly ConfSetting[], context: ForwardContext): ForwardResult;
  /**
   * The inverse, for `modmq migrate --reverse`: legacy lines for a module config. Law, checked by
   * property tests: `forward(parse(render(reverse(c)))).config` equals `c` (with schema defaults).
   */
  reverse(config: Record<string, unknown>): ConfLine[];
  /** EE `data export` module `type` strings this mapping also reads (`mysql_authentication`). */
  readonly enterpriseTypes?: readonly string[];
  /** Maps an EE module's `config` object to this module type's config. */
  fromEnterprise?(config: Record<string, unknown>, location: Location): ForwardResult;
}

export type { ConfDocument, ConfSetting };
