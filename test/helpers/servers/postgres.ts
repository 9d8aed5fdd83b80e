/**
 * A real PostgreSQL 15 for tests: `initdb` + `postgres` run as the `postgres` system user (it
 * refuses root) in a temp dir chowned to it, on a free loopback port; a database and a password
 * user created. The processes are spawned with the user's uid/gid rather than through `runuser`:
 * runuser stops itself when its child is SIGSTOPped (pause()) and then never reaps it.
 * Start it once per test file (`before`), stop it in `after`. A watchdog kills the server and
 * removes the dir if the test process dies.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../free-port.js';
import { safeRead, waitStopped, watchdog } from './process.js';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
const ADMIN_PASSWORD = 'modmq-admin';

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Runs SQL as the superuser in `database` (fixtures); returns the rows. */
  exec(sql: string, params?: unknown[]): Promise<unknown[]>;
  /** SIGSTOP the postmaster and every backend: TCP is accepted but nothing answers. */
  pause(): void;
  resume(): void;
  /** Fast shutdown keeping the data; `start()` brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Stops for good and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}



export async function startPostgres(options: { database?: string; user?: string; password?: string } = {}): Promise<PostgresServer> {
  const database = options.database ?? 'mqtt';
  const user = options.user ?? 'modmq';
  const password = options.password ?? 'modmq-secret';
  const dir = mkdtempSync(path.join(tmpdir(), 'modmq-postgres-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const pwFile = path.join(dir, 'pwfile');
  const port = await freePort();
  const pgUser = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const pgGroup = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  chownSync(dir, pgUser, pgGroup);
  writeFileSync(pwFile, `${ADMIN_PASSWORD}\n`);
  chownSync(pwFile, pgUser, pgGroup);

  let child: ChildProcess | undefined;
  let guard: ChildProcess | undefined;
  let postmaster: number | undefined;
  let exited: string | undefined;
  let stopped = false;
  const paused: number[] = [];

  const onExit = (): void => {
    try {
      if (postmaster && exited === undefined) process.kill(postmaster, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const admin = (db: string): pg.ClientConfig => ({
    host: '127.0.0.1', port, user: 'postgres', password: ADMIN_PASSWORD, database: db, connectionTimeoutMillis: 2000,
  });

  const launch = async (): Promise<void> => {
    exited = undefined;
    const out = openSync(logFile, 'a');
    child = spawn(
      `${BIN}/postgres`,
      ['-D', dataDir, '-p', String(port), '-k', dir,
        '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=200'],
      { stdio: ['ignore', out, out], uid: pgUser, gid: pgGroup, cwd: dir },
    );
    closeSync(out);
    child.unref();
    const proc = child;
    proc.once('exit', (code, signal) => {
      if (child === proc) exited = `exited (${code ?? signal})`;
    });
    for (let i = 0; ; i++) {
      if (exited) throw new Error(`postgres ${exited}: ${safeRead(logFile).slice(-2000)}`);
      if (i > 600) throw new Error('postgres: not ready');
      const c = new pg.Client(admin('postgres'));
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.end();
        break;
      } catch {
        await c.end().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    postmaster = proc.pid!;
    guard?.kill('SIGKILL');
    guard = watchdog(postmaster, dir);
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    if (!proc || exited !== undefined || !postmaster) return;
    for (const pid of paused.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    process.kill(postmaster, 'SIGINT'); // fast shutdown: backends are told to quit
    const slow = setTimeout(() => {
      try {
        process.kill(postmaster!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 10_000);
    await gone;
    clearTimeout(slow);
  };

  try {
    await run(`${BIN}/initdb`, ['-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8',
      '--no-sync', '--locale=C'], { uid: pgUser, gid: pgGroup, cwd: dir });
    await launch();
    const c = new pg.Client(admin('postgres'));
    await c.connect();
    try {
      await c.query(`CREATE ROLE "${user}" LOGIN PASSWORD '${password.replace(/'/g, "''")}'`);
      await c.query(`CREATE DATABASE "${database}" OWNER "${user}"`);
    } finally {
      await c.end();
    }
  } catch (error) {
    await halt().catch(() => undefined);
    guard?.kill('SIGKILL');
    process.removeListener('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    async exec(sql, params = []) {
      const c = new pg.Client(admin(database));
      await c.connect();
      try {
        const result = await c.query(sql, params);
        return result.rows;
      } finally {
        await c.end();
      }
    },
    pause() {
      if (!postmaster || exited !== undefined) return;
      // Synchronous on purpose: the caller expects the server frozen when this returns.
      const out = safeRead(`/proc/${postmaster}/task/${postmaster}/children`);
      const pids = [postmaster, ...out.split(/\s+/).filter(Boolean).map(Number)];
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGSTOP');
          paused.push(pid);
        } catch {
          /* gone */
        }
      }
      for (const pid of paused) waitStopped(pid);
    },
    resume() {
      for (const pid of paused.splice(0)) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          /* gone */
        }
      }
    },
    halt,
    async start() {
      if (exited === undefined && child) return;
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt();
      guard?.kill('SIGKILL');
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
