import { parseDurationMs } from '../../broker/duration.js';
import type { Problem } from '../../schema/problem.js';

/**
 * Semantic check shared by module types: a duration (timeout, interval) that must be > 0. The
 * schema's duration format allows "0s" because some fields mean "never" by it; these do not.
 * Returns no problem for an absent value (the schema default applies).
 */
export function positiveDuration(pointer: string, value: string | number | undefined): Problem[] {
  if (value === undefined) return [];
  const name = pointer.slice(pointer.lastIndexOf('/') + 1);
  try {
    if (parseDurationMs(value) > 0) return [];
    return [{ pointer, keyword: 'minimum', message: `${name} must be greater than 0` }];
  } catch (error) {
    return [{ pointer, keyword: 'minimum', message: `${name} ${(error as Error).message}` }];
  }
}
