/**
 * emqx_auth_mnesia (4.1–4.4) -> auth-builtin-db. The inline lists only seeded the Mnesia tables
 * (existing users were never overwritten); they become the seed lists `users` / `clients`.
 * 4.1/4.2 shape: `auth.mnesia.N.login|password|is_superuser` compared with the username or the client
 * id as `auth.mnesia.as` says; 4.3 replaced it with `auth.user.N.username|password` and
 * `auth.client.N.clientid|password` (no superuser flag: reverse writes the 4.3 shape and cannot carry
 * is_superuser). `auth.mnesia.password_hash` gained sha512 in 4.3.
 */
import { bool, enumOf, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import { asInt, enterpriseMapper } from './auth-enterprise.js';

const LOGIN_AS = '/__login_as'; // scratch pointer, resolved in afterForward

export const authMnesia = defineMapping({
  source: 'emqx_auth_mnesia',
  moduleType: 'auth-builtin-db',
  loadedAs: ['emqx_auth_mnesia'],
  fields: [
    { key: 'auth.mnesia.password_hash', pointer: '/password_hash', codec: enumOf('plain', 'md5', 'sha', 'sha256', 'sha512'), legacyDefault: 'sha256' },
    { key: 'auth.user.$id.username', pointer: '/users/$id/username', codec: str },
    { key: 'auth.user.$id.password', pointer: '/users/$id/password', codec: str, secret: true },
    { key: 'auth.client.$id.clientid', pointer: '/clients/$id/clientid', codec: str },
    { key: 'auth.client.$id.password', pointer: '/clients/$id/password', codec: str, secret: true },
    // 4.1/4.2
    { key: 'auth.mnesia.$id.login', pointer: '/users/$id/username', codec: str },
    { key: 'auth.mnesia.$id.password', pointer: '/users/$id/password', codec: str, secret: true },
    { key: 'auth.mnesia.$id.is_superuser', pointer: '/users/$id/is_superuser', codec: bool },
    { key: 'auth.mnesia.as', pointer: LOGIN_AS, codec: enumOf('username', 'clientid') },
  ],
  afterForward(config, _ctx, result) {
    const as = config.__login_as;
    delete config.__login_as;
    const asOutcome = result.keys.find((k) => k.key === 'auth.mnesia.as');
    if (asOutcome && asOutcome.target) {
      asOutcome.target = `auth-builtin-db#/${as === 'clientid' ? 'clients' : 'users'}`;
      asOutcome.class = as === 'clientid' ? 'mapped' : 'defaulted';
      asOutcome.reason = `auth.mnesia.N.login is compared with the ${as === 'clientid' ? 'client id' : 'username'}`;
    }
    if (as !== 'clientid') return;
    // 4.1/4.2 logins compared with the client id: they are client-id users
    const legacy = new Set<number>();
    for (const k of result.keys) {
      const m = /^auth\.mnesia\.[^.]+\.(login|password|is_superuser)$/.exec(k.key);
      const t = k.target && /#\/users\/([0-9]+)\//.exec(k.target);
      if (m && t) {
        legacy.add(Number(t[1]));
        k.target = k.target!.replace('#/users/', '#/clients/').replace(/\/username$/, '/clientid');
      }
    }
    const users = (config.users as Record<string, unknown>[] | undefined) ?? [];
    const clients = (config.clients as Record<string, unknown>[] | undefined) ?? [];
    for (const i of [...legacy].sort((a, b) => a - b)) {
      const { username, ...rest } = users[i] ?? {};
      clients.push({ clientid: username, ...rest });
    }
    const kept = users.filter((_, i) => !legacy.has(i));
    if (kept.length) config.users = kept;
    else delete config.users;
    if (clients.length) config.clients = clients;
  },
  beforeReverse(config) {
    // The 4.3 shape has no superuser flag.
    for (const list of ['users', 'clients']) {
      const items = config[list] as Record<string, unknown>[] | undefined;
      items?.forEach((u) => delete u.is_superuser);
    }
    return config;
  },
  enterpriseTypes: ['mnesia_authentication'],
  fromEnterprise: enterpriseMapper('auth-builtin-db', {
    password_hash: { pointer: '/password_hash' },
    max_acls_for_each_login: { pointer: '/max_acls_per_login', convert: asInt },
  }),
});
