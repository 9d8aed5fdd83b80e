import { readFileSync } from 'node:fs';
import tls, { type SecureContextOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import type { TlsOptions as TlsConfig } from '../../node/node-config.js';

/** Finds the key for a TLS-PSK identity (the broker asks the auth-psk hooks); undefined = unknown. */
export type PskKeyLookup = (identity: string) => Buffer | undefined;

/**
 * TLS 1.2 PSK suites (TLS 1.3 PSK needs none: node negotiates it with any 1.3 suite). Listed
 * before the defaults only on PSK listeners; a certificate handshake never picks a PSK suite.
 */
export const PSK_CIPHERS = [
  'PSK-AES256-GCM-SHA384',
  'PSK-AES128-GCM-SHA256',
  'PSK-CHACHA20-POLY1305',
  'PSK-AES256-CBC-SHA384',
  'PSK-AES128-CBC-SHA256',
  'PSK-AES256-CBC-SHA',
  'PSK-AES128-CBC-SHA',
].join(':');

/**
 * node:tls server options from the listener config; `verify` requires and checks client certs.
 * With `psk` on and a lookup given, PSK handshakes are accepted and the certificate is optional.
 */
export function serverTlsOptions(
  listener: string,
  config: Partial<TlsConfig>,
  pskLookup?: PskKeyLookup,
): TlsOptions & SecureContextOptions {
  const psk = config.psk === true && pskLookup !== undefined;
  const hasCert = Boolean(config.certfile && config.keyfile);
  if (!hasCert && !psk) {
    throw new Error(`listener ${listener}: certfile and keyfile are required`);
  }
  const verify = config.verify === true;
  const options: TlsOptions & SecureContextOptions = {
    ...(hasCert ? { cert: readFileSync(config.certfile!), key: readFileSync(config.keyfile!) } : {}),
    ...(config.cafile ? { ca: readFileSync(config.cafile) } : {}),
    requestCert: verify,
    rejectUnauthorized: verify,
  };
  if (psk) {
    // node's default list ends with !PSK, which would strike the PSK suites listed before it.
    const defaults = tls.DEFAULT_CIPHERS.split(':').filter((c) => c !== '!PSK').join(':');
    options.ciphers = hasCert ? `${PSK_CIPHERS}:${defaults}` : `${PSK_CIPHERS}:${TLS13_CIPHERS}`;
    // null fails the handshake for an unknown identity; a lookup that throws must not kill the listener.
    options.pskCallback = (_socket: TLSSocket, identity: string) => {
      try {
        return pskLookup(identity) ?? null;
      } catch {
        return null;
      }
    };
  }
  return options;
}

/** Without a certificate only PSK suites can work; keep the TLS 1.3 ones (PSK-capable). */
const TLS13_CIPHERS = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
