/** Config shape of auth-jwt (schemas/modules/auth-jwt/v1.json, defaults applied by the schema). */
export interface AuthJwtConfig {
  from: 'password' | 'username';
  secret: string;
  /** A PEM file path (relative: the node's data dir) or the PEM text itself. */
  pubkey: string;
  jwks_url: string;
  jwks_refresh_interval: string;
  signature_format: 'der' | 'raw';
  verify_claims: boolean;
  claims: Record<string, string>;
  acl_claim_name: string;
  on_backend_error: 'ignore' | 'deny';
}
