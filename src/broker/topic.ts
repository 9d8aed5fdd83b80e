/**
 * MQTT topic names and filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7). Used by the broker and by modules
 * (ACL rules, rewrite rules, retainer) so everybody agrees on what matches what.
 */

const MAX_TOPIC_BYTES = 65535;

/** A topic a PUBLISH may carry: non-empty, no wildcards, no NUL, at most 65535 UTF-8 bytes. */
export function isValidTopicName(topic: string): boolean {
  if (topic.length === 0 || Buffer.byteLength(topic, 'utf8') > MAX_TOPIC_BYTES) return false;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x23 /* # */ || c === 0x2b /* + */ || c === 0) return false;
  }
  return true;
}

/**
 * A filter a SUBSCRIBE may carry: non-empty, `+` and `#` only as whole levels, `#` only last.
 * `$share/<group>/<filter>` is accepted when the group has no wildcard or `/` and the filter is valid.
 */
export function isValidFilter(filter: string): boolean {
  if (filter.length === 0 || Buffer.byteLength(filter, 'utf8') > MAX_TOPIC_BYTES) return false;
  const shared = splitSharedFilter(filter);
  if (shared === null) return false;
  if (shared !== undefined) filter = shared.filter;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('\u0000')) return false;
    if (level === '#') {
      if (i !== levels.length - 1) return false;
    } else if (level === '+') {
      continue;
    } else if (level.includes('#') || level.includes('+')) {
      return false;
    }
  }
  return true;
}

/**
 * `$share/group/filter` -> {group, filter}; undefined for a plain filter; null for a malformed
 * shared filter (empty or wildcard group, missing filter).
 */
export function splitSharedFilter(filter: string): { group: string; filter: string } | undefined | null {
  if (!filter.startsWith('$share/')) return undefined;
  const rest = filter.slice(7);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  if (group.includes('+') || group.includes('#')) return null;
  const inner = rest.slice(slash + 1);
  if (inner.length === 0) return null;
  return { group, filter: inner };
}

/**
 * Whether `topic` (a topic name) matches `filter`. Follows the spec: `+` matches exactly one level
 * (possibly empty), `#` matches the parent level and any number of children, and a filter that
 * starts with a wildcard never matches a topic starting with `$` [MQTT-4.7.2-1]. No allocation.
 */
export function matchTopic(filter: string, topic: string): boolean {
  const fl = filter.length;
  const tl = topic.length;
  if (tl > 0 && topic.charCodeAt(0) === 0x24 /* $ */ && fl > 0) {
    const f0 = filter.charCodeAt(0);
    if (f0 === 0x2b || f0 === 0x23) return false;
  }
  let fi = 0;
  let ti = 0;
  while (fi < fl) {
    const fc = filter.charCodeAt(fi);
    if (fc === 0x23 /* # */) {
      // `#` is the whole remaining filter level: matches the rest, including the parent itself.
      return true;
    }
    if (fc === 0x2b /* + */) {
      // Skip one topic level.
      while (ti < tl && topic.charCodeAt(ti) !== 0x2f) ti++;
      fi++;
    } else {
      // Compare one literal level.
      while (fi < fl && filter.charCodeAt(fi) !== 0x2f) {
        if (ti >= tl || topic.charCodeAt(ti) !== filter.charCodeAt(fi)) return false;
        fi++;
        ti++;
      }
      if (ti < tl && topic.charCodeAt(ti) !== 0x2f) return false;
    }
    // Both at a level end: either a separator or the end of the string.
    if (fi >= fl) return ti >= tl;
    // filter has '/', move past it
    fi++;
    if (ti >= tl) {
      // Topic ended; only a trailing `#` level can still match ("a/#" matches "a").
      return fi < fl && filter.charCodeAt(fi) === 0x23 && fi === fl - 1;
    }
    ti++; // topic '/'
  }
  return ti >= tl;
}
