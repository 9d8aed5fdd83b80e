/**
 * A compiled `dest_topic`: literal text, capture references `$N` and the client placeholders
 * `%c` / `%u`, resolved in ONE pass so captured text is inserted literally and never re-scanned.
 *
 * `$` followed by digits takes the longest number that names an existing group (1..groupCount).
 * That is what replacing `$N` from the highest N down gives (so `$1` never eats `$10` when there
 * are 10 groups; with fewer, `$10` is group 1 then "0"). EMQX 4.x replaced from `$1` up, where
 * `$1` did eat `$10`. `$0`, and `$N` beyond the group count, stay as written.
 */
export type Segment = string | number | typeof CLIENT_ID | typeof USERNAME;

export const CLIENT_ID: unique symbol = Symbol('clientid');
export const USERNAME: unique symbol = Symbol('username');

export interface DestTemplate {
  /** Set when dest has no placeholder at all: the rewrite result is this constant string. */
  readonly constant: string | undefined;
  readonly segments: readonly Segment[];
}

export function compileDest(dest: string, groupCount: number): DestTemplate {
  const segments: Segment[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal.length > 0) segments.push(literal);
    literal = '';
  };
  let i = 0;
  while (i < dest.length) {
    const c = dest[i]!;
    if (c === '$') {
      let end = i + 1;
      while (end < dest.length && isDigit(dest.charCodeAt(end))) end++;
      const group = longestGroup(dest.slice(i + 1, end), groupCount);
      if (group !== undefined) {
        flush();
        segments.push(group.index);
        i += 1 + group.digits;
        continue;
      }
    } else if (c === '%' && (dest[i + 1] === 'c' || dest[i + 1] === 'u')) {
      flush();
      segments.push(dest[i + 1] === 'c' ? CLIENT_ID : USERNAME);
      i += 2;
      continue;
    }
    literal += c;
    i++;
  }
  flush();
  const constant = segments.every((s) => typeof s === 'string') ? segments.join('') : undefined;
  return { constant, segments };
}

/** The longest digit prefix (no leading zero) whose value is a group number. */
function longestGroup(digits: string, groupCount: number): { index: number; digits: number } | undefined {
  if (digits.length === 0 || digits[0] === '0') return undefined;
  for (let len = digits.length; len > 0; len--) {
    const n = Number(digits.slice(0, len));
    if (n >= 1 && n <= groupCount) return { index: n, digits: len };
  }
  return undefined;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Renders the template; unmatched optional groups count as empty (as PCRE reports them). */
export function renderDest(
  template: DestTemplate,
  captures: RegExpExecArray,
  clientId: string | undefined,
  username: string | undefined,
): string {
  if (template.constant !== undefined) return template.constant;
  let out = '';
  for (const s of template.segments) {
    if (typeof s === 'string') out += s;
    else if (typeof s === 'number') out += captures[s] ?? '';
    else if (s === CLIENT_ID) out += clientId ?? '%c';
    else out += username ?? '%u';
  }
  return out;
}
