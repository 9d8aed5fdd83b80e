/**
 * verify_claims (4.x): every listed claim must equal its expected value; an expected value of
 * exactly %u or %c is the client's username or client id.
 */
import type { ClientInfo } from '../../broker/hooks.js';

/** undefined when every claim matches, otherwise the name of the first that does not. */
export function mismatchedClaim(expected: Record<string, string>, claims: Record<string, unknown>, client: ClientInfo): string | undefined {
  for (const [name, template] of Object.entries(expected)) {
    const want = template === '%u' ? client.username : template === '%c' ? client.clientId : template;
    const have = claims[name];
    const text = typeof have === 'string' ? have : typeof have === 'number' || typeof have === 'boolean' ? String(have) : undefined;
    if (want === undefined || text !== want) return name;
  }
  return undefined;
}
