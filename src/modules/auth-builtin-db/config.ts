import type { HashAlgorithm } from './secret.js';

/** schemas/modules/auth-builtin-db/v1.json */
export interface BuiltinDbConfig {
  password_hash: HashAlgorithm;
  users: Array<{ username: string; password: string; is_superuser?: boolean }>;
  clients: Array<{ clientid: string; password: string; is_superuser?: boolean }>;
  max_acls_per_login: number;
  on_backend_error: 'ignore' | 'deny';
}
