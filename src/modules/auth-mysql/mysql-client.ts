/**
 * mysql2 pool behind the SqlClient interface. Statements go through `execute` (server-side
 * prepared statements: values are bound, never formatted into the SQL). A call whose guard
 * times out destroys its connection, so a hung server cannot hold the pool's slots.
 */
import mysql from 'mysql2';
import type { FieldPacket, PoolConnection, QueryError } from 'mysql2';
import type { SqlClient, SqlClientOptions, SqlResult } from '../auth-sql/sql-client.js';

/** How long close() waits for the pool's graceful end before dropping the sockets. */
const CLOSE_GRACE_MS = 1_000;

/** Every connection of the pool, handshaking ones included (mysql2 internals, read defensively). */
function allConnections(pool: mysql.Pool): Array<{ destroy(): void }> {
  const queue = (pool as unknown as { _allConnections?: { toArray?: () => Array<{ destroy(): void }> } })._allConnections;
  return queue?.toArray?.() ?? [];
}

export function createMysqlClient(options: SqlClientOptions): SqlClient {
  const pool = mysql.createPool({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    connectionLimit: options.poolSize,
    maxIdle: options.poolSize,
    connectTimeout: options.connectTimeoutMs,
    waitForConnections: true,
    queueLimit: 0,
    enableKeepAlive: true,
    ...(options.tls ? { ssl: options.tls as mysql.SslOptions } : {}),
  });
  const live = new Set<PoolConnection>();
  // A pooled connection that fails while idle (server gone) emits 'error': report it, never crash.
  pool.on('connection', (connection) => {
    connection.on('error', (error: Error) => options.onIdleError(error));
  });

  return {
    query(sql, params, signal): Promise<SqlResult> {
      return new Promise<SqlResult>((resolve, reject) => {
        let settled = false;
        let conn: PoolConnection | undefined;
        const finish = (): void => {
          settled = true;
          signal.removeEventListener('abort', onAbort);
        };
        const onAbort = (): void => {
          if (settled) return;
          finish();
          if (conn) {
            live.delete(conn);
            conn.destroy();
          }
          reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        pool.getConnection((error, connection) => {
          if (settled) {
            connection?.release(); // arrived after the deadline: healthy, give it back
            return;
          }
          if (error) {
            finish();
            return reject(error);
          }
          conn = connection;
          live.add(connection);
          connection.execute({ sql, values: params as Array<string | number | null>, timeout: options.queryTimeoutMs }, (err: QueryError | null, rows: unknown, fields: FieldPacket[]) => {
            if (settled) return;
            finish();
            live.delete(connection);
            if (err) {
              if (err.fatal) connection.destroy();
              else connection.release();
              return reject(err);
            }
            connection.release();
            resolve({
              columns: (fields ?? []).map((f) => f.name),
              rows: Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [],
            });
          });
        });
      });
    },

    async close(): Promise<void> {
      for (const conn of live) conn.destroy();
      live.clear();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => pool.end(() => resolve())),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS))),
      ]);
      clearTimeout(timer);
      // A hung server never finishes a handshake or a QUIT: drop whatever is left.
      for (const conn of allConnections(pool)) conn.destroy();
    },
  };
}
