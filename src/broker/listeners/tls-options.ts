import { readFileSync } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import type { TlsOptions as TlsConfig } from '../../node/node-config.js';

/** node:tls server options from the listener config; `verify` requires and checks client certs. */
export function serverTlsOptions(listener: string, config: Partial<TlsConfig>): TlsOptions & SecureContextOptions {
  if (!config.certfile || !config.keyfile) {
    throw new Error(`listener ${listener}: certfile and keyfile are required`);
  }
  const verify = config.verify === true;
  return {
    cert: readFileSync(config.certfile),
    key: readFileSync(config.keyfile),
    ...(config.cafile ? { ca: readFileSync(config.cafile) } : {}),
    requestCert: verify,
    rejectUnauthorized: verify,
  };
}
