/**
 * pg Pool behind the SqlClient interface. Queries use the extended protocol with bind
 * parameters (never spliced). A call whose guard times out drops its connection's socket, so a
 * hung server cannot hold the pool's slots or keep close() waiting.
 */
import pg from 'pg';
import type { SqlClient, SqlClientOptions, SqlResult } from '../auth-sql/sql-client.js';

const CLOSE_GRACE_MS = 2_000;
const IDLE_MS = 30_000;

/** The socket under a pg client (not in the typings): destroying it is the only hard stop. */
function dropSocket(client: pg.PoolClient): void {
  (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream?.destroy?.();
}

export function createPgClient(options: SqlClientOptions): SqlClient {
  const pool = new pg.Pool({
    host: options.host,
    port: options.port,
    user: options.user,
    password: options.password,
    database: options.database,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    query_timeout: options.queryTimeoutMs,
    idleTimeoutMillis: IDLE_MS,
    allowExitOnIdle: true,
    ssl: options.tls ?? false,
    ...(options.encoding !== undefined ? { client_encoding: options.encoding } : {}),
  });
  // An idle client that fails (server gone) is emitted here; without a listener pg would crash us.
  pool.on('error', (error) => options.onIdleError(error));
  const live = new Set<pg.PoolClient>();

  return {
    async query(sql, params, signal): Promise<SqlResult> {
      const client = await pool.connect();
      if (signal.aborted) {
        client.release();
        throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
      }
      live.add(client);
      let released = false;
      const release = (error?: Error): void => {
        if (released) return;
        released = true;
        live.delete(client);
        client.release(error ?? false);
      };
      const onAbort = (): void => {
        dropSocket(client);
        release(new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await client.query({ text: sql, values: [...params] });
        release();
        return { columns: result.fields.map((f) => f.name), rows: result.rows as Array<Record<string, unknown>> };
      } catch (error) {
        release(error instanceof Error ? error : new Error(String(error)));
        throw error;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },

    async close(): Promise<void> {
      for (const client of live) dropSocket(client);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        pool.end().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS))),
      ]);
      clearTimeout(timer);
    },
  };
}
