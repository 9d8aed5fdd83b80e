/**
 * 4.x emqx_auth_http answers: status and body -> decision. Only 200 allows; a body of exactly
 * `ignore` (surrounding whitespace tolerated) passes the client on to the next module.
 */
import type { AclDecision, AuthDecision } from '../../broker/hooks.js';

export interface HttpAnswer {
  status: number;
  body: string;
}

const isIgnore = (body: string): boolean => body.trim() === 'ignore';

/** MQTT 5 CONNACK reason for a refusing status (the broker maps it to MQTT 3.1.1). */
export function connackReasonFor(status: number): number {
  switch (status) {
    case 400:
    case 401:
      return 0x86; // bad user name or password
    case 403:
      return 0x87; // not authorized
    case 429:
      return 0x8a; // banned
    case 504:
      return 0x89; // server busy
    default:
      return 0x88; // server unavailable (503 and anything else)
  }
}

export function authDecision(answer: HttpAnswer): AuthDecision {
  if (answer.status === 200) {
    if (isIgnore(answer.body)) return { result: 'ignore' };
    const mountpoint = mountpointOf(answer.body);
    return mountpoint === undefined ? { result: 'allow' } : { result: 'allow', mountpoint };
  }
  return { result: 'deny', reasonCode: connackReasonFor(answer.status), reason: `auth request answered ${answer.status}` };
}

/**
 * 4.x emqx_auth_http: a 200 body that is a JSON object with a `mountpoint` sets the client's
 * mountpoint (`%c`/`%u` expanded by the broker). Any other body (not JSON, not an object, a
 * mountpoint that is not a string, or empty) grants none.
 */
export function mountpointOf(body: string): string | undefined {
  const text = body.trim();
  if (!text.startsWith('{')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const mountpoint = (json as { mountpoint?: unknown } | null)?.mountpoint;
  return typeof mountpoint === 'string' && mountpoint.length > 0 ? mountpoint : undefined;
}

export function aclDecision(answer: HttpAnswer): AclDecision {
  if (answer.status === 200) return isIgnore(answer.body) ? { result: 'ignore' } : { result: 'allow' };
  return { result: 'deny', reason: `acl request answered ${answer.status}` };
}

/** The superuser request marks a superuser with any 200 (4.x did not look at the body). */
export function isSuperuser(answer: HttpAnswer): boolean {
  return answer.status === 200;
}
