/**
 * A real MariaDB for tests: `mariadb-install-db` into a temp dir, `mariadbd` on a free loopback
 * port, a database and a password user created. Start it once per test file (`before`), stop it
 * in `after`. A watchdog kills the server and removes the dir if the test process dies.
 */
import { type ChildProcess, spawn, execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from '../free-port.js';
import { safeRead, waitStopped, watchdog } from './process.js';

const run = promisify(execFile);

export interface MariaDbServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Runs SQL as root in `database` (fixtures); returns the rows or the result header. */
  exec(sql: string, params?: unknown[]): Promise<unknown>;
  /** SIGSTOP: the server accepts TCP but never answers (a hung backend). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops the server process, keeping its data; `start()` brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Stops for good and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}


async function until(ready: () => Promise<boolean>, dead: () => string | undefined, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const why = dead();
    if (why) throw new Error(`${what}: ${why}`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not ready`);
}

export async function startMariaDb(options: { database?: string; user?: string; password?: string } = {}): Promise<MariaDbServer> {
  const database = options.database ?? 'mqtt';
  const user = options.user ?? 'modmq';
  const password = options.password ?? 'modmq-secret';
  const dir = mkdtempSync(path.join(tmpdir(), 'modmq-mariadb-'));
  const dataDir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  const logFile = path.join(dir, 'error.log');
  const port = await freePort();
  let child: ChildProcess | undefined;
  let guard: ChildProcess | undefined;
  let exited: string | undefined;
  let stopped = false;

  const killNow = (): void => {
    try {
      if (child?.pid && exited === undefined) process.kill(child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  const onExit = (): void => {
    killNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const rootConn = (): Promise<mysql.Connection> =>
    mysql.createConnection({ socketPath: socket, user: 'root', password: '', multipleStatements: true });

  const launch = async (): Promise<void> => {
    exited = undefined;
    const out = openSync(path.join(dir, 'stdout.log'), 'a');
    child = spawn(
      'mariadbd',
      [
        '--no-defaults', '--user=root', `--datadir=${dataDir}`, `--socket=${socket}`, `--port=${port}`,
        '--bind-address=127.0.0.1', '--skip-networking=0', `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        `--log-error=${logFile}`, '--skip-name-resolve', '--skip-log-bin', '--innodb-buffer-pool-size=16M',
        '--innodb-log-file-size=8M', '--performance-schema=OFF', '--max-connections=200',
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    child.unref();
    const proc = child;
    proc.once('exit', (code, signal) => {
      if (child === proc) exited = `exited (${code ?? signal})`;
    });
    await until(
      async () => {
        try {
          const c = await rootConn();
          await c.end();
          return true;
        } catch {
          return false;
        }
      },
      () => (exited ? `${exited}: ${safeRead(logFile).slice(-2000)}` : undefined),
      'mariadbd',
    );
    guard?.kill('SIGKILL');
    guard = watchdog(proc.pid!, dir);
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    if (!proc || exited !== undefined) return;
    try {
      process.kill(proc.pid!, 'SIGCONT');
    } catch {
      /* gone */
    }
    const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const slow = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(slow);
  };

  try {
    await run('mariadb-install-db', [
      '--no-defaults', '--user=root', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ]);
    await launch();
    const c = await rootConn();
    try {
      // The user reaches the server over TCP with a password, as the module will.
      await c.query(
        `CREATE DATABASE \`${database}\`; CREATE USER ?@'%' IDENTIFIED BY ?; GRANT ALL ON \`${database}\`.* TO ?@'%';`,
        [user, password, user],
      );
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
      const c = await mysql.createConnection({ socketPath: socket, user: 'root', password: '', database, multipleStatements: true });
      try {
        const [rows] = await c.query(sql, params);
        return rows;
      } finally {
        await c.end();
      }
    },
    pause() {
      if (child?.pid && exited === undefined) {
        process.kill(child.pid, 'SIGSTOP');
        waitStopped(child.pid);
      }
    },
    resume() {
      if (child?.pid && exited === undefined) process.kill(child.pid, 'SIGCONT');
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

