/**
 * Shared pieces of the gateway mappings (emqx_sn, emqx_coap, emqx_lwm2m, emqx_stomp, emqx_exproto and
 * the EE *_protocol modules): the legacy bind codec, and the step that turns per-type intermediate
 * arrays (`/_udp`, `/_dtls`, filled by defineMapping from `coap.bind.udp.$id`...) into the one
 * `listeners` array of our gateway schemas, and back.
 *
 * Listener binds are per node in 4.x but cluster-wide here: they are always classified `mapped`
 * (never `defaulted`), so the node merge sees every node's value and reports differing binds.
 */
import { CodecError, type Codec } from './codecs.js';
import type { ForwardResult, KeyOutcome } from './mapping.js';

/**
 * A 4.x bind: `1884`, `0.0.0.0:1884`, `::1:1884` (cuttlefish splits IPv6 at the last colon). Ours
 * brackets IPv6 (`[::1]:1884`); reverse writes the unbracketed legacy form.
 */
export const legacyBind: Codec<string> = {
  name: 'port or ip:port',
  decode(raw) {
    const text = raw.trim();
    if (/^[0-9]{1,5}$/.test(text) && Number(text) <= 65535) return String(Number(text));
    const m = /^(.*):([0-9]{1,5})$/.exec(text);
    if (!m || m[1] === '' || Number(m[2]) > 65535) throw new CodecError(`${JSON.stringify(raw)} is not a port or ip:port`);
    const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
    return host.includes(':') ? `[${host}]:${Number(m[2])}` : `${host}:${Number(m[2])}`;
  },
  encode(value) {
    const m = /^\[(.*)\]:([0-9]+)$/.exec(value);
    return m ? `${m[1]}:${m[2]}` : value;
  },
};

/** exproto's `<type>://<bind>` listener value (4.2–4.4). */
export const schemeBind: Codec<{ type: string; bind: string }> = {
  name: 'tcp|ssl|udp|dtls://ip:port',
  decode(raw) {
    const m = /^(tcp|ssl|udp|dtls):\/\/(.+)$/.exec(raw.trim());
    if (m) return { type: m[1]!, bind: legacyBind.decode(m[2]!) };
    return { type: 'tcp', bind: legacyBind.decode(raw) }; // a bare [ip:]port is a TCP listener
  },
  encode: (v) => `${v.type}://${legacyBind.encode(v.bind)}`,
};

export interface ListenerGroup {
  /** Intermediate top-level array the field rules fill (`_udp`). */
  from: string;
  type: string;
  /** Intermediate object (`_dtls`) copied into every listener of this group under `optionsKey`. */
  shared?: { from: string; optionsKey: string };
}

/** The listener name our forward gives the n-th (0-based) listener of a type: `default`, then `<type>_<n+1>`. */
export function listenerName(type: string, n: number): string {
  return n === 0 ? 'default' : `${type}_${n + 1}`;
}

/** Renames `#/<from>/<i>/...` targets (and `#/<shared>/...`) to their place in `listeners`. */
function retarget(keys: KeyOutcome[], moduleType: string, from: string, offset: number, toShared?: (rest: string) => string): void {
  const prefix = `${moduleType}#/${from}`;
  for (const k of keys) {
    if (!k.target?.startsWith(prefix + '/')) continue;
    const rest = k.target.slice(prefix.length + 1);
    if (toShared) {
      k.target = toShared(rest);
      continue;
    }
    const m = /^([0-9]+)(\/.*)?$/.exec(rest);
    if (!m) continue;
    k.target = `${moduleType}#/listeners/${offset + Number(m[1])}${m[2] ?? ''}`;
    if (m[2] === '/bind') k.class = 'mapped'; // binds are per node in 4.x: always compared by the merge
  }
}

/** Keys whose value was not carried over after all (target under `prefix`): not mapped, with `reason`. */
function dropTargets(keys: KeyOutcome[], prefix: string, reason: string): void {
  for (const k of keys) {
    if (!k.target?.startsWith(prefix)) continue;
    Object.assign(k, { class: 'not-mapped', reason });
    delete k.target;
  }
}

/**
 * Forward: builds `config.listeners` from the groups in order (only when at least one group has
 * entries, so an absent bind keeps the schema default) and removes the intermediate keys.
 */
export function assembleListeners(
  config: Record<string, unknown>,
  result: ForwardResult,
  moduleType: string,
  groups: ListenerGroup[],
  base: Record<string, unknown> = {},
): void {
  const listeners: Record<string, unknown>[] = [];
  for (const g of groups) {
    // defineMapping fills `/_udp/$id/...` as an array, a fixed `/_udp/0/...` pointer as an object
    const raw = config[g.from];
    const items = (raw && typeof raw === 'object' ? Object.values(raw as object) : []).filter(
      (x): x is Record<string, unknown> => !!x && typeof x === 'object',
    );
    const shared = g.shared ? (config[g.shared.from] as Record<string, unknown> | undefined) : undefined;
    const offset = listeners.length;
    items.forEach((item, n) => {
      const listener: Record<string, unknown> = { name: listenerName(g.type, n), type: g.type, ...base, ...item };
      if (g.shared && shared && Object.keys(shared).length) listener[g.shared.optionsKey] = structuredClone(shared);
      listeners.push(listener);
    });
    retarget(result.keys, moduleType, g.from, offset);
    if (g.shared) {
      const sharedKey = g.shared;
      const firstIndex = items.length ? offset : -1;
      // a shared block applies to every listener of the group; the report names the first one
      if (firstIndex >= 0) retarget(result.keys, moduleType, sharedKey.from, 0, (rest) => `${moduleType}#/listeners/${firstIndex}/${sharedKey.optionsKey}/${rest}`);
      else dropTargets(result.keys, `${moduleType}#/${sharedKey.from}/`, `no ${g.type} listener is bound: the option has nothing to apply to`);
      if (shared && Object.keys(shared).length && firstIndex < 0) {
        result.warnings.push({ code: 'unused-tls', message: `${moduleType}: ${g.type} options are set but no ${g.type} listener is bound; they are dropped` });
      }
      delete config[sharedKey.from];
    }
    delete config[g.from];
  }
  if (listeners.length) config['listeners'] = listeners;
}

/** Reverse: splits `listeners` back into the intermediate arrays (first listener's shared options win). */
export function splitListeners(config: Record<string, unknown>, groups: ListenerGroup[]): Record<string, unknown> {
  const listeners = (config['listeners'] as Record<string, unknown>[] | undefined) ?? [];
  delete config['listeners'];
  for (const g of groups) {
    const mine = listeners.filter((l) => l['type'] === g.type);
    config[g.from] = mine.map((l) => {
      const copy: Record<string, unknown> = { ...l };
      delete copy['name'];
      delete copy['type'];
      if (g.shared) delete copy[g.shared.optionsKey];
      return copy;
    });
    if (g.shared) {
      const withOptions = mine.find((l) => l[g.shared!.optionsKey]);
      if (withOptions) config[g.shared.from] = withOptions[g.shared.optionsKey];
    }
  }
  return config;
}

/** EE export file fields are `{filename, file}` (file = inline content); we keep the path. */
export function eeFile(value: unknown): string | undefined {
  if (typeof value === 'string') return value || undefined;
  if (value && typeof value === 'object') {
    const name = (value as { filename?: unknown }).filename;
    return typeof name === 'string' && name !== '' ? name : undefined;
  }
  return undefined;
}
