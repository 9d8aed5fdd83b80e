/**
 * emqx_auth_username (4.0–4.2; merged into emqx_auth_mnesia in 4.3) -> auth-builtin-db `users`.
 * The list seeded Mnesia at plugin start. With emqx_auth_clientid also loaded, both feed the same
 * auth-builtin-db module (users + clients; one password_hash: differing values are a conflict).
 */
import { enumOf, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';

export const authUsername = defineMapping({
  source: 'emqx_auth_username',
  moduleType: 'auth-builtin-db',
  loadedAs: ['emqx_auth_username'],
  fields: [
    { key: 'auth.user.password_hash', pointer: '/password_hash', codec: enumOf('plain', 'md5', 'sha', 'sha256'), legacyDefault: 'sha256' },
    { key: 'auth.user.$id.username', pointer: '/users/$id/username', codec: str },
    { key: 'auth.user.$id.password', pointer: '/users/$id/password', codec: str, secret: true },
  ],
});
