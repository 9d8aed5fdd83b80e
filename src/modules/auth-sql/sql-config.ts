import type { PasswordHashConfig } from '../auth-common/index.js';

/** The `ssl` block of the auth-mysql / auth-postgresql schemas. */
export interface SqlSslConfig {
  enable?: boolean;
  cafile?: string;
  certfile?: string;
  keyfile?: string;
  verify?: boolean;
  server_name_indication?: string;
  /** auth-postgresql only. */
  versions?: Array<'tlsv1.3' | 'tlsv1.2' | 'tlsv1.1' | 'tlsv1'>;
}

/** What auth-mysql and auth-postgresql share (schema defaults applied by the runtime). */
export interface SqlAuthConfig {
  server: string;
  database: string;
  username: string;
  password: string;
  pool_size: number;
  query_timeout: string;
  ssl: SqlSslConfig;
  password_hash: PasswordHashConfig;
  auth_query: string;
  super_query: string;
  acl_query: string;
  on_backend_error: 'ignore' | 'deny';
  /** auth-postgresql only. */
  encoding?: string;
}
