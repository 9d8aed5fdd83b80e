/**
 * 4.x emqx_auth_mongo selectors: `field=value[,field=value]`. A value that is exactly `%u`, `%c`,
 * `%C` or `%d` is replaced by the client's username, client id, cert CN or cert subject (4.x
 * replvar: whole values only; `%a`, the peer IP, is accepted too); any other value is literal (`username=$all`). The result is an
 * equality document whose values are always strings, so a username can never become an operator.
 */

export type SelectorVars = Partial<Record<'u' | 'c' | 'C' | 'd' | 'a', string>>;
export type Selector = ReadonlyArray<readonly [field: string, value: string]>;

const PLACEHOLDER = /^%([ucCda])$/;

/** Parses a selector; empty text gives an empty selector. Throws on a malformed pair. */
export function parseSelector(text: string): Selector {
  const pairs: Array<[string, string]> = [];
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`"${part.trim()}" is not field=value`);
    const field = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (field === '' || field.startsWith('$') || field.includes('\u0000')) throw new Error(`"${field}" is not a usable field name`);
    pairs.push([field, value]);
  }
  return pairs;
}

/** The problem with a selector text, or undefined. */
export function selectorProblem(text: string): string | undefined {
  try {
    parseSelector(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * The query document for one client; undefined when a placeholder has no value (no username, no
 * certificate): such a selector cannot select this client, so it is not sent.
 */
export function renderSelector(selector: Selector, vars: SelectorVars): Record<string, string> | undefined {
  const doc: Record<string, string> = Object.create(null);
  for (const [field, value] of selector) {
    const m = PLACEHOLDER.exec(value);
    if (m) {
      const v = vars[m[1] as keyof SelectorVars];
      if (v === undefined) return undefined;
      doc[field] = v;
    } else {
      doc[field] = value;
    }
  }
  return { ...doc };
}
