import { isValidTopicName } from '../../broker/topic.js';

export const DELAYED_PREFIX = '$delayed/';
/** Intervals at or above this are absolute Unix times in seconds (EMQX: 2^32 / 1000). */
export const ABSOLUTE_THRESHOLD = 4294967;
/** An absolute time may lie at most this many seconds in the future (EMQX's bound). */
export const MAX_FUTURE_SECONDS = 4294967;

export type DelayedTopic =
  | { kind: 'plain' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'delayed'; topic: string; publishAt: number };

const PLAIN: DelayedTopic = { kind: 'plain' };
const DIGITS = /^[0-9]{1,16}$/;

/**
 * Parses `$delayed/{interval}/{topic}` (split at the first `/` after the prefix). An interval below
 * {@link ABSOLUTE_THRESHOLD} is seconds from `nowMs`; otherwise an absolute Unix time in seconds,
 * refused when more than {@link MAX_FUTURE_SECONDS} away (a past one is due at once). Anything not
 * under the prefix is `plain`. `publishAt` is epoch ms.
 */
export function parseDelayedTopic(topic: string, nowMs: number): DelayedTopic {
  if (!topic.startsWith(DELAYED_PREFIX)) return PLAIN;
  const rest = topic.slice(DELAYED_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return { kind: 'invalid', reason: 'no topic after the interval' };
  const interval = rest.slice(0, slash);
  const target = rest.slice(slash + 1);
  if (!DIGITS.test(interval)) return { kind: 'invalid', reason: `interval ${JSON.stringify(interval)} is not a whole number of seconds` };
  if (target === '') return { kind: 'invalid', reason: 'empty topic after the interval' };
  if (!isValidTopicName(target)) return { kind: 'invalid', reason: `invalid topic ${JSON.stringify(target)}` };
  // Held messages are published as the broker (no messagePublish chain): a nested prefix would leak.
  if (target.startsWith(DELAYED_PREFIX)) return { kind: 'invalid', reason: 'nested $delayed topic' };
  const seconds = Number(interval);
  if (seconds < ABSOLUTE_THRESHOLD) return { kind: 'delayed', topic: target, publishAt: nowMs + seconds * 1000 };
  if (seconds - nowMs / 1000 > MAX_FUTURE_SECONDS) {
    return { kind: 'invalid', reason: `timestamp ${seconds} is more than ${MAX_FUTURE_SECONDS} s in the future` };
  }
  return { kind: 'delayed', topic: target, publishAt: seconds * 1000 };
}
