import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCerts {
  dir: string;
  certfile: string;
  keyfile: string;
  /** PEM of the self-signed cert (trust it on the client side). */
  ca: Buffer;
  cleanup(): void;
}

/** A self-signed certificate for localhost / 127.0.0.1, made with openssl in a temp dir. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(path.join(tmpdir(), 'modmq-tls-'));
  const certfile = path.join(dir, 'cert.pem');
  const keyfile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-keyout', keyfile, '-out', certfile,
      '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return {
    dir,
    certfile,
    keyfile,
    ca: readFileSync(certfile),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
