import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tls from 'node:tls';
import type { Problem } from '../../schema/problem.js';
import type { SqlSslConfig } from './sql-config.js';

const VERSIONS: Record<string, tls.SecureVersion> = {
  tlsv1: 'TLSv1',
  'tlsv1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};
const ORDER: tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * The TLS options towards the database, or undefined when TLS is off. Files are read now (a
 * missing file fails create/update, leaving the previous instance serving); relative paths are
 * node paths under the data dir. `verify` false is 4.x verify_none; SNI `disable` turns the name
 * check off, an absent SNI uses the server's host.
 */
export async function loadTlsOptions(ssl: SqlSslConfig | undefined, host: string, dataDir: string): Promise<tls.ConnectionOptions | undefined> {
  if (!ssl?.enable) return undefined;
  const read = (file: string): Promise<Buffer> => readFile(path.resolve(dataDir, file));
  const options: tls.ConnectionOptions = { rejectUnauthorized: ssl.verify === true };
  if (ssl.cafile) options.ca = await read(ssl.cafile);
  if (ssl.certfile) options.cert = await read(ssl.certfile);
  if (ssl.keyfile) options.key = await read(ssl.keyfile);
  const sni = ssl.server_name_indication;
  if (sni === 'disable') {
    options.checkServerIdentity = () => undefined;
  } else {
    const name = sni ?? host;
    // SNI must be a host name, not an IP literal (node warns and servers ignore it).
    if (!/^[\d.]+$/.test(name) && !name.includes(':')) options.servername = name;
    if (sni !== undefined) options.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(sni, cert);
  }
  if (ssl.versions && ssl.versions.length > 0) {
    const picked = ssl.versions.map((v) => VERSIONS[v]!).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
    options.minVersion = picked[0]!;
    options.maxVersion = picked[picked.length - 1]!;
  }
  return options;
}

/** Semantic checks of the ssl block the schema cannot express. */
export function checkSsl(ssl: SqlSslConfig | undefined): Problem[] {
  if (!ssl?.enable) return [];
  const problems: Problem[] = [];
  if (ssl.keyfile && !ssl.certfile) {
    problems.push({ pointer: '/ssl/certfile', keyword: 'required', message: 'a client key needs its client certificate (certfile)' });
  }
  if (ssl.certfile && !ssl.keyfile) {
    problems.push({ pointer: '/ssl/keyfile', keyword: 'required', message: 'a client certificate needs its key (keyfile)' });
  }
  return problems;
}
