/**
 * The schemas' `ssl` block (towards a backend server) as Node TLS connection options. Shared by
 * auth-redis, auth-ldap and auth-mongodb. Relative paths resolve against the node's data dir.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ConnectionOptions } from 'node:tls';

export interface BackendSslConfig {
  enable?: boolean;
  cafile?: string;
  certfile?: string;
  keyfile?: string;
  verify?: boolean;
  /** A name to send and check, or `disable` to turn SNI and the name check off. */
  server_name_indication?: string;
}

/** undefined when TLS is off. Reads the files now (throws when one is missing: create fails). */
export function backendTlsOptions(ssl: BackendSslConfig | undefined, baseDir: string): ConnectionOptions | undefined {
  if (!ssl?.enable) return undefined;
  const file = (path: string): Buffer => readFileSync(isAbsolute(path) ? path : resolve(baseDir, path));
  const options: ConnectionOptions = { rejectUnauthorized: ssl.verify ?? false };
  if (ssl.cafile) options.ca = file(ssl.cafile);
  if (ssl.certfile) options.cert = file(ssl.certfile);
  if (ssl.keyfile) options.key = file(ssl.keyfile);
  const sni = ssl.server_name_indication;
  if (sni === 'disable') options.checkServerIdentity = () => undefined;
  else if (sni !== undefined) options.servername = sni;
  return options;
}

/** `host:port` / `[v6]:port` -> parts (the schema already checked the form). */
export function splitHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) return { host: text, port: defaultPort };
  return { host: m[1]!, port: m[2] ? Number(m[2]) : defaultPort };
}
