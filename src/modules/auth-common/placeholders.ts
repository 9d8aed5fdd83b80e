/**
 * EMQX 4.x placeholders in auth strings: `%u` username, `%c` client id, `%a` peer IP, `%P` password,
 * `%C` TLS cert common name, `%d` cert subject DN, `%p` listener port, `%r` protocol, and for ACL
 * requests `%A` access (1 sub, 2 pub), `%t` topic, `%m` mountpoint. SQL templates become
 * parameterised queries (never spliced); other protocols get plain substitution and escape
 * per protocol themselves.
 */
import type { ClientInfo, ConnectRequest } from '../../broker/hooks.js';

export interface PlaceholderValues {
  username?: string;
  clientid: string;
  peerhost: string;
  password?: string;
  cn?: string;
  dn?: string;
  sockport?: number;
  /** `mqtt` (4.x %r). */
  protocol?: string;
  /** ACL requests only: 1 subscribe, 2 publish (4.x %A). */
  access?: 1 | 2;
  /** ACL requests only (4.x %t). */
  topic?: string;
  /** 4.x %m: the client's mountpoint once an auth module granted one (connected clients only). */
  mountpoint?: string;
}

/** Cert fields a TLS listener may add to ClientInfo; absent on plain listeners. */
type ClientWithCert = ClientInfo & { certCommonName?: string; certSubject?: string };

/** `::ffff:1.2.3.4` -> `1.2.3.4`: a v4 client on a dual-stack socket is a v4 client (as in 4.x). */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** The values of every placeholder for a connecting client (with password) or a connected one. */
export function placeholderValues(request: ConnectRequest | { client: ClientInfo; password?: Buffer }): PlaceholderValues {
  const client = request.client as ClientWithCert;
  const values: PlaceholderValues = {
    clientid: client.clientId,
    peerhost: normalizeIp(client.peerHost),
    sockport: client.sockPort,
    protocol: 'mqtt',
  };
  if (client.username !== undefined) values.username = client.username;
  if (request.password !== undefined) values.password = request.password.toString('utf8');
  if (client.certCommonName !== undefined) values.cn = client.certCommonName;
  if (client.certSubject !== undefined) values.dn = client.certSubject;
  if (client.mountpoint !== undefined) values.mountpoint = client.mountpoint;
  return values;
}

const LETTERS: Record<string, keyof PlaceholderValues> = {
  u: 'username',
  c: 'clientid',
  a: 'peerhost',
  P: 'password',
  C: 'cn',
  d: 'dn',
  p: 'sockport',
  r: 'protocol',
  A: 'access',
  t: 'topic',
  m: 'mountpoint',
};

/** 4.x SQL placeholders: only these, only written quoted (`'%u'`); an unquoted `%u` stays literal. */
const SQL_PLACEHOLDER = /'%([ucCad])'/g;

/**
 * Compiles a 4.x query template into a parameterised query: SQL text with `?` (mysql) or `$n` (pg)
 * and the ordered placeholder list — values are NEVER spliced into SQL. As in 4.x
 * (`emqx_auth_mysql_cli:parse_query/1`), only the quoted forms `'%u' '%c' '%a' '%C' '%d'` are
 * placeholders. Bind an absent value (no username, no cert) as NULL.
 */
export function compileSqlTemplate(template: string, style: 'question' | 'dollar'): { sql: string; params: Array<keyof PlaceholderValues> } {
  const params: Array<keyof PlaceholderValues> = [];
  const sql = template.replace(SQL_PLACEHOLDER, (_m, letter: string) => {
    params.push(LETTERS[letter]!);
    return style === 'question' ? '?' : `$${params.length}`;
  });
  return { sql, params };
}

/** The bind values for a compiled SQL template, in order; absent values are null. */
export function sqlParams(params: ReadonlyArray<keyof PlaceholderValues>, values: PlaceholderValues): Array<string | number | null> {
  return params.map((name) => values[name] ?? null);
}

/**
 * Replaces every `%x` placeholder above with its value (absent -> empty string, as 4.x sent
 * `undefined` values as empty). Unknown `%x` sequences are kept. The caller escapes for its
 * protocol (URL encoding, LDAP filter escaping, one Redis argument per word).
 */
export function substitute(template: string, values: PlaceholderValues): string {
  if (!template.includes('%')) return template;
  return template.replace(/%([ucaPCdprAtm])/g, (_m, letter: string) => {
    const value = values[LETTERS[letter]!];
    return value === undefined ? '' : String(value);
  });
}
