/**
 * How a shared subscription is named inside aedes. aedes 2.0.0-beta.1 refuses `$share/...` from
 * MQTT 5 clients (0x9E) and would treat it as a literal topic for MQTT 3, so the broker renames a
 * shared filter, before aedes sees the SUBSCRIBE, to a private key: NUL + client id + NUL +
 * `$share/<group>/<filter>`. NUL cannot occur in an MQTT string [MQTT-1.5.4-2], so no client
 * filter or topic can collide with it, and the client id lets the broker tell members apart
 * (aedes' subscribe call does not say whose subscription it is). Persistent sessions store the
 * key, so a restored session rejoins its groups.
 */
import { splitSharedFilter } from './topic.js';

const NUL = '\u0000';

export interface SharedFilter {
  group: string;
  /** The inner filter (mounted once inside the broker). */
  filter: string;
}

/** `$share/g/f` -> {g, f}; `$queue/f` -> {`$queue`, f}; undefined for anything else (or malformed). */
export function parseSharedFilter(filter: string): SharedFilter | undefined {
  if (filter.startsWith('$queue/')) {
    const inner = filter.slice(7);
    return inner.length === 0 ? undefined : { group: '$queue', filter: inner };
  }
  const shared = splitSharedFilter(filter);
  return shared ?? undefined;
}

/** Whether a filter names a shared subscription at all (well-formed or not). */
export function isSharedPrefix(filter: string): boolean {
  return filter.startsWith('$share/') || filter.startsWith('$queue/');
}

/** The group key: one (group, filter) pair. */
export function groupKeyOf(shared: SharedFilter): string {
  return `$share/${shared.group}/${shared.filter}`;
}

export function toSharedKey(clientId: string, shared: SharedFilter): string {
  return NUL + clientId + NUL + groupKeyOf(shared);
}

export function isSharedKey(topic: string): boolean {
  return topic.charCodeAt(0) === 0;
}

/** Inverse of {@link toSharedKey}; undefined when `topic` is not a shared key. */
export function fromSharedKey(topic: string): { clientId: string; shared: SharedFilter } | undefined {
  if (!isSharedKey(topic)) return undefined;
  const end = topic.indexOf(NUL, 1);
  if (end < 0) return undefined;
  const shared = splitSharedFilter(topic.slice(end + 1));
  if (shared === undefined || shared === null) return undefined;
  return { clientId: topic.slice(1, end), shared };
}

/** What a user should see for a subscription (API listings, logs): the `$share/...` filter. */
export function displayFilter(topic: string): string {
  const key = fromSharedKey(topic);
  return key === undefined ? topic : groupKeyOf(key.shared);
}
