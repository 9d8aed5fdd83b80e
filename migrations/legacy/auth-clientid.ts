/**
 * emqx_auth_clientid (4.0–4.2; merged into emqx_auth_mnesia in 4.3) -> auth-builtin-db `clients`.
 * See auth-username.ts for how the two plugins share one module.
 */
import { enumOf, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';

export const authClientid = defineMapping({
  source: 'emqx_auth_clientid',
  moduleType: 'auth-builtin-db',
  loadedAs: ['emqx_auth_clientid'],
  fields: [
    { key: 'auth.client.password_hash', pointer: '/password_hash', codec: enumOf('plain', 'md5', 'sha', 'sha256'), legacyDefault: 'sha256' },
    { key: 'auth.client.$id.clientid', pointer: '/clients/$id/clientid', codec: str },
    { key: 'auth.client.$id.password', pointer: '/clients/$id/password', codec: str, secret: true },
  ],
});
