import type { ConnectionOptions } from 'node:tls';

/** One result set: rows keyed by column name, and the column names in order. */
export interface SqlResult {
  columns: string[];
  rows: Array<Record<string, unknown>>;
}

/**
 * A pooled driver connection as the SQL auth engine sees it. `query` sends a parameterised
 * statement (values are bound, never spliced); when `signal` aborts, the connection in use is
 * destroyed so a hung server cannot keep a pool slot.
 */
export interface SqlClient {
  query(sql: string, params: ReadonlyArray<string | number | null>, signal: AbortSignal): Promise<SqlResult>;
  /** Closes every connection; waits for nothing longer than the driver's own close. */
  close(): Promise<void>;
}

/** Everything a driver needs to open its pool, resolved from the module config. */
export interface SqlClientOptions {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  poolSize: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
  tls: ConnectionOptions | undefined;
  /** auth-postgresql only. */
  encoding?: string;
  /** Called when an idle pooled connection fails (server gone): the engine degrades. */
  onIdleError(error: Error): void;
}

export type SqlClientFactory = (options: SqlClientOptions) => SqlClient;
