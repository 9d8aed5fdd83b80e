/**
 * The 4.x emqx_auth_ldap search, built safely: values are escaped per RFC 4515 in filters and per
 * RFC 4514 in the base DN, so a username like `*)(uid=*` can never widen a search.
 */

/** RFC 4515 §3: `*`, `(`, `)`, `\` and NUL become `\XX` in an assertion value. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\u0000]/g, (ch) => `\\${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** RFC 4514 §2.4: an attribute value inside a DN (specials, a leading `#`/space, a trailing space, NUL). */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\u0000') out += '\\00';
    else if (',+"\\<>;='.includes(ch)) out += `\\${ch}`;
    else if ((ch === ' ' && (i === 0 || i === value.length - 1)) || (ch === '#' && i === 0)) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** An attribute description: a name (with options) or a numeric OID. */
export function isAttributeName(name: string): boolean {
  return /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)(?:;[A-Za-z0-9-]+)*$/.test(name);
}

export interface LdapFilterCondition {
  key: string;
  value: string;
  op?: 'and' | 'or';
}

export interface LdapSearchConfig {
  device_dn: string;
  match_objectclass: string;
  username_attribute: string;
  custom_base_dn: string;
  filters: LdapFilterCondition[];
}

/** `${username_attr}`, `${user}`, `${device_dn}` as 4.x replace_vars did; `escape` applies to the user. */
function expandVars(template: string, config: LdapSearchConfig, user: string, escape: (v: string) => string): string {
  return template
    .replaceAll('${username_attr}', config.username_attribute)
    .replaceAll('${device_dn}', config.device_dn)
    .replaceAll('${user}', escape(user));
}

/** The search base: custom_base_dn with the username escaped for a DN (4.x default: the entry itself). */
export function searchBase(config: LdapSearchConfig, username: string): string {
  return expandVars(config.custom_base_dn, config, username, escapeDnValue);
}

const equality = (key: string, value: string): string => `(${key}=${escapeFilterValue(value)})`;

/**
 * `(&(objectClass=<oc>)(<username_attribute>=<user>)<filters>)`. Extra filters join left to right,
 * each filter's `op` joining it to the next (`a and b or c` = `((a and b) or c)`); their values may
 * use `${user}` (and the other 4.x variables), replaced before escaping.
 */
export function userFilter(config: LdapSearchConfig, username: string): string {
  const parts = [equality('objectClass', config.match_objectclass), equality(config.username_attribute, username)];
  if (config.filters.length > 0) {
    let acc = equality(config.filters[0]!.key, expandVars(config.filters[0]!.value, config, username, (v) => v));
    for (let i = 1; i < config.filters.length; i++) {
      const f = config.filters[i]!;
      const next = equality(f.key, expandVars(f.value, config, username, (v) => v));
      acc = `(${config.filters[i - 1]!.op === 'or' ? '|' : '&'}${acc}${next})`;
    }
    parts.push(acc);
  }
  return `(&${parts.join('')})`;
}
