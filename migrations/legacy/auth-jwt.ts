/**
 * emqx_auth_jwt (4.0–4.4) -> auth-jwt. Version differences: `signature_format` from 4.0.7; 4.3 added
 * `jwks` and `jwks.refresh_interval`; `acl_claim_name` from 4.3.15 / 4.4.4. Nothing was renamed.
 */
import { durationIn, enumOf, flag, str } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import { asBool, asDuration, asFile, asStringMap, enterpriseMapper } from './auth-enterprise.js';

export const authJwt = defineMapping({
  source: 'emqx_auth_jwt',
  moduleType: 'auth-jwt',
  loadedAs: ['emqx_auth_jwt'],
  fields: [
    { key: 'auth.jwt.secret', pointer: '/secret', codec: str, secret: true },
    { key: 'auth.jwt.jwks', pointer: '/jwks_url', codec: str },
    { key: 'auth.jwt.jwks.refresh_interval', pointer: '/jwks_refresh_interval', codec: durationIn('ms') },
    { key: 'auth.jwt.from', pointer: '/from', codec: enumOf('password', 'username'), legacyDefault: 'password' },
    { key: 'auth.jwt.pubkey', pointer: '/pubkey', codec: str },
    { key: 'auth.jwt.signature_format', pointer: '/signature_format', codec: enumOf('der', 'raw'), legacyDefault: 'der' },
    { key: 'auth.jwt.verify_claims', pointer: '/verify_claims', codec: flag, legacyDefault: 'off' },
    { key: 'auth.jwt.verify_claims.$name', pointer: '/claims/$name', codec: str },
    { key: 'auth.jwt.acl_claim_name', pointer: '/acl_claim_name', codec: str, legacyDefault: 'acl' },
  ],
  enterpriseTypes: ['jwt_authentication'],
  fromEnterprise: enterpriseMapper('auth-jwt', {
    from: { pointer: '/from' },
    secret: { pointer: '/secret', secret: true },
    pubkey: { pointer: '/pubkey', convert: asFile },
    jwks_addr: { pointer: '/jwks_url' },
    jwks_refresh_interval: { pointer: '/jwks_refresh_interval', convert: asDuration },
    signature_format: { pointer: '/signature_format' },
    verify_claims: { pointer: '/verify_claims', convert: asBool },
    claims: { pointer: '/claims', convert: asStringMap },
    acl_claim_name: { pointer: '/acl_claim_name' },
  }),
});
