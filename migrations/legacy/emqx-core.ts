/**
 * `etc/emqx.conf` core keys: cluster settings, node-local values and the reasons for everything
 * modmq does not carry. Keys claimed by other mappings' `keyPrefixes` (module.*, acl_file) never
 * reach this mapping; the plan routes them first.
 *
 * Policy decisions (documented in the report):
 * - Zones: client listeners use the `external` zone in every shipped 4.x config, so
 *   `zone.external.{allow_anonymous,acl_nomatch,acl_deny_action}` win over the global keys; other
 *   zones' policies are not carried (modmq has one policy).
 * - A policy key absent from emqx.conf takes the 4.x schema default (allow_anonymous=false,
 *   acl_nomatch=deny), which differs from modmq's defaults, so settings are always written out.
 * - `auth_order` / `acl_order` (4.3.22, 4.4.11+) order the modules of the cluster document
 *   (target `cluster#/modules`); see src/migrator/chain-order.ts.
 */
import type { ConfSetting } from '../../src/migrator/legacy-node.js';
import type { ForwardContext, ForwardResult, KeyOutcome, LegacyMapping } from './mapping.js';
import { dropReason } from './emqx-core-rules.js';
import {
  CoreValueError, LOG_LEVELS, formatDuration, parseBind, parseBoolean, parseDurationMs, parseEnum, parseFlag, parseInteger,
} from './emqx-core-values.js';

/** 4.x schema defaults of the policy keys (what a node did when the key was absent). */
export const LEGACY_SETTING_DEFAULTS = {
  '/allow_anonymous': false,
  '/acl_nomatch': 'deny',
  '/acl_deny_action': 'ignore',
  '/acl_cache/enable': true,
  '/acl_cache/max_size': 32,
  '/acl_cache/ttl': '1m',
} as const satisfies Record<string, unknown>;

/** modmq's cluster settings defaults (schemas/cluster/v1.json), to classify `defaulted`. */
const OUR_SETTING_DEFAULTS: Record<string, unknown> = {
  '/allow_anonymous': true, '/acl_nomatch': 'allow', '/acl_deny_action': 'ignore',
  '/acl_cache/enable': true, '/acl_cache/max_size': 32, '/acl_cache/ttl': '1m',
};

/** modmq's node config defaults (schemas/node/v1.json), to classify `defaulted`. */
const OUR_NODE_DEFAULTS: Record<string, unknown> = {
  '/node/name': 'modmq@127.0.0.1', '/node/data_dir': './data',
  '/listeners/tcp/bind': '0.0.0.0', '/listeners/tcp/port': 1883,
  '/listeners/tls/bind': '0.0.0.0', '/listeners/tls/port': 8883, '/listeners/tls/verify': false,
  '/listeners/ws/bind': '0.0.0.0', '/listeners/ws/port': 8083, '/listeners/ws/path': '/mqtt',
  '/listeners/wss/bind': '0.0.0.0', '/listeners/wss/port': 8084, '/listeners/wss/path': '/mqtt', '/listeners/wss/verify': false,
  '/log/level': 'info',
};

type Decoder = (raw: string) => unknown;

const POLICY: Record<string, { pointer: string; decode: Decoder }> = {
  allow_anonymous: {
    pointer: '/allow_anonymous',
    // 4.3.17+/4.4.6+ `false_quick_deny` also answers "not authorized" faster: same decision.
    decode: (raw) => (raw === 'false_quick_deny' ? false : parseBoolean(raw)),
  },
  acl_nomatch: { pointer: '/acl_nomatch', decode: (raw) => parseEnum(raw, ['allow', 'deny'] as const) },
  acl_deny_action: { pointer: '/acl_deny_action', decode: (raw) => parseEnum(raw, ['ignore', 'disconnect'] as const) },
};

const CACHE: Record<string, { pointer: string; decode: Decoder }> = {
  enable_acl_cache: { pointer: '/acl_cache/enable', decode: parseFlag },
  acl_cache_max_size: { pointer: '/acl_cache/max_size', decode: (raw) => parseInteger(raw, 1) },
  acl_cache_ttl: { pointer: '/acl_cache/ttl', decode: (raw) => formatDuration(parseDurationMs(raw)) },
};

/** `listener.<proto>.external` -> node config listener name. */
const LISTENERS: Record<string, 'tcp' | 'tls' | 'ws' | 'wss'> = { tcp: 'tcp', ssl: 'tls', ws: 'ws', wss: 'wss' };

const LISTENER_FILES: Record<string, string> = { certfile: 'certfile', keyfile: 'keyfile', cacertfile: 'cafile' };

/** Node-local single keys. */
const NODE_KEYS: Record<string, { pointer: string; decode: Decoder }> = {
  'node.name': { pointer: '/node/name', decode: (raw) => raw },
  'node.data_dir': { pointer: '/node/data_dir', decode: (raw) => raw },
  'log.level': { pointer: '/log/level', decode: (raw) => LOG_LEVELS[parseEnum(raw, Object.keys(LOG_LEVELS))] },
};

/** `none` or a comma list of auth/ACL source names (`internal,mysql,http`). */
export function parseOrder(raw: string): string[] | undefined {
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0 || (names.length === 1 && names[0] === 'none')) return undefined;
  return names;
}

class CoreForward {
  readonly keys: KeyOutcome[] = [];
  readonly warnings: ForwardResult['warnings'] = [];
  readonly settings: Record<string, unknown> = {};
  readonly node: Record<string, unknown> = {};
  /** Settings pointer -> the outcome that set it, so a zone.external key can override a global one. */
  private readonly settingSource = new Map<string, { outcome: KeyOutcome; fromZone: boolean }>();

  run(settings: readonly ConfSetting[]): ForwardResult {
    for (const s of settings) {
      try {
        this.classify(s);
      } catch (error) {
        if (!(error instanceof CoreValueError)) throw error;
        this.keys.push({ key: s.key, location: s.location, class: 'not-mapped', reason: `invalid value: ${error.message}` });
        this.warnings.push({ code: 'invalid-value', message: `${s.key}: ${error.message}`, location: s.location });
      }
    }
    for (const [pointer, value] of Object.entries(LEGACY_SETTING_DEFAULTS)) {
      if (!(pointer in this.settings)) this.settings[pointer] = value;
    }
    this.finishListeners();
    return { settings: this.settings, node: this.node, keys: this.keys, warnings: this.warnings };
  }

  private classify(s: ConfSetting): void {
    const { key } = s;
    const policy = POLICY[key] ?? CACHE[key];
    if (policy) return this.setting(s, policy.pointer, policy.decode(s.value), false);
    const zone = /^zone\.([^.]+)\.(allow_anonymous|acl_nomatch|acl_deny_action|enable_acl)$/.exec(key);
    if (zone) return this.zoneKey(s, zone[1] ?? '', zone[2] ?? '');
    if (key === 'auth_order' || key === 'acl_order') {
      parseOrder(s.value);
      this.push(s, { class: 'mapped', target: 'cluster#/modules', reason: `orders the ${key === 'auth_order' ? 'auth' : 'ACL'} modules of the cluster document` });
      return;
    }
    if (key === 'acl_file') {
      this.push(s, { class: 'mapped', target: 'acl-file#/rules', reason: 'the path is node-local; the file content becomes the acl-file module' });
      return;
    }
    const nodeKey = NODE_KEYS[key];
    if (nodeKey) return this.nodeValue(s, nodeKey.pointer, nodeKey.decode(s.value));
    const listener = /^listener\.(tcp|ssl|ws|wss)\.external(?:\.(certfile|keyfile|cacertfile|verify|mqtt_path))?$/.exec(key);
    if (listener) return this.listener(s, LISTENERS[listener[1] ?? ''] ?? 'tcp', listener[2]);
    const reason = dropReason(key);
    if (reason) {
      this.push(s, { class: 'not-mapped', reason });
      return;
    }
    this.push(s, { class: 'not-mapped', reason: 'unknown key for emqx.conf' });
    this.warnings.push({ code: 'unknown-key', message: `unknown emqx.conf key ${key}`, location: s.location });
  }

  private zoneKey(s: ConfSetting, zone: string, name: string): void {
    if (zone !== 'external') {
      this.push(s, { class: 'not-mapped', reason: `zone '${zone}': modmq has one cluster-wide policy, taken from the 'external' zone (client listeners)` });
      return;
    }
    if (name === 'enable_acl') {
      if (!parseFlag(s.value)) {
        this.warnings.push({ code: 'acl-disabled', message: 'zone.external.enable_acl = off: modmq always runs the ACL chain; set acl_nomatch = allow and remove ACL modules to keep that behaviour', location: s.location });
      }
      this.push(s, { class: 'not-mapped', reason: 'modmq always runs the ACL chain (no per-zone switch)' });
      return;
    }
    const policy = POLICY[name];
    if (policy) this.setting(s, policy.pointer, policy.decode(s.value), true);
  }

  private setting(s: ConfSetting, pointer: string, value: unknown, fromZone: boolean): void {
    const previous = this.settingSource.get(pointer);
    const target = `settings#${pointer}`;
    if (previous && previous.fromZone && !fromZone) {
      // The global key loses to zone.external whatever the order in the file.
      this.push(s, { class: 'not-mapped', reason: `overridden by ${previous.outcome.key} (line ${previous.outcome.location.line}) for client listeners` });
      return;
    }
    if (previous && fromZone && !previous.fromZone) {
      previous.outcome.class = 'not-mapped';
      previous.outcome.reason = `overridden by ${s.key} (line ${s.location.line}) for client listeners`;
      delete previous.outcome.target;
    }
    this.settings[pointer] = value;
    const outcome = this.push(s, { class: OUR_SETTING_DEFAULTS[pointer] === value ? 'defaulted' : 'mapped', target });
    this.settingSource.set(pointer, { outcome, fromZone });
  }

  private nodeValue(s: ConfSetting, pointer: string, value: unknown): void {
    this.node[pointer] = value;
    this.push(s, { class: OUR_NODE_DEFAULTS[pointer] === value ? 'defaulted' : 'node-local', target: `node#${pointer}` });
  }

  private listener(s: ConfSetting, name: 'tcp' | 'tls' | 'ws' | 'wss', option: string | undefined): void {
    const base = `/listeners/${name}`;
    if (option === undefined) {
      const { bind, port } = parseBind(s.value);
      this.node[`${base}/enable`] = true;
      this.nodeValue(s, `${base}/port`, port);
      // One key fills two fields; the report lists the key once, under the port.
      this.node[`${base}/bind`] = bind ?? '0.0.0.0';
      return;
    }
    if (option === 'mqtt_path') return this.nodeValue(s, `${base}/path`, s.value);
    if (option === 'verify') return this.nodeValue(s, `${base}/verify`, parseEnum(s.value, ['verify_peer', 'verify_none'] as const) === 'verify_peer');
    const field = LISTENER_FILES[option];
    if (field && (name === 'tls' || name === 'wss')) return this.nodeValue(s, `${base}/${field}`, s.value);
    this.push(s, { class: 'not-mapped', reason: `not applicable to the ${name} listener` });
  }

  /** Listeners absent from emqx.conf did not run on the 4.x node: disable them explicitly. */
  private finishListeners(): void {
    for (const name of ['tcp', 'tls', 'ws', 'wss'] as const) {
      const base = `/listeners/${name}`;
      if (this.node[`${base}/enable`] !== true) {
        for (const pointer of Object.keys(this.node)) if (pointer.startsWith(`${base}/`)) delete this.node[pointer];
        this.node[`${base}/enable`] = false;
        continue;
      }
      if ((name === 'tls' || name === 'wss') && (this.node[`${base}/certfile`] === undefined || this.node[`${base}/keyfile`] === undefined)) {
        this.node[`${base}/enable`] = false;
        this.warnings.push({ code: 'listener-without-certificate', message: `the ${name} listener has no certfile/keyfile in emqx.conf: it is disabled in the node config` });
      }
    }
  }

  private push(s: ConfSetting, outcome: Omit<KeyOutcome, 'key' | 'location'>): KeyOutcome {
    const full: KeyOutcome = { key: s.key, location: s.location, ...outcome };
    if (s.key === 'node.cookie') full.secret = true;
    this.keys.push(full);
    return full;
  }
}

export const emqxCore: LegacyMapping = {
  source: 'emqx.conf:core',
  moduleType: null,
  loadedAs: [],
  forward(settings: readonly ConfSetting[], _context: ForwardContext): ForwardResult {
    return new CoreForward().run(settings);
  },
  reverse(): [] {
    // Settings and node values are written back by src/migrator/reverse.ts (settings have no module config).
    return [];
  },
};
