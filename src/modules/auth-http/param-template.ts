/**
 * The 4.x emqx_auth_http params: name -> template with placeholders (auth-common's substitute:
 * one pass, so a value that itself contains `%u` is never expanded again; absent -> empty).
 */
import type { AclAction, ClientInfo } from '../../broker/hooks.js';
import { placeholderValues, substitute, type PlaceholderValues } from '../auth-common/index.js';

export function fillParams(params: Record<string, string>, values: PlaceholderValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(params)) out[name] = substitute(template, values);
  return out;
}

/** The values of a connecting (with password) or connected client; %m is empty without a mountpoint. */
export function clientValues(client: ClientInfo, password?: Buffer): PlaceholderValues {
  const values = placeholderValues(password === undefined ? { client } : { client, password });
  return { ...values, mountpoint: values.mountpoint ?? '' };
}

/** ACL values: access is 1 for subscribe and 2 for publish (4.x %A), %t the topic. */
export function aclValues(client: ClientInfo, action: AclAction, topic: string): PlaceholderValues {
  return { ...clientValues(client), access: action === 'subscribe' ? 1 : 2, topic };
}
