/**
 * A throw-away redis-server for tests: Debian binary, loopback, a free port, a temp dir, no
 * persistence. `stop()` kills it and removes the dir; `restart()` brings it back on the SAME port
 * (empty: nothing is saved), so a client configured with `url` reconnects.
 *
 *   const redis = await startRedis();
 *   try { ... new Redis(redis.url) ... } finally { await redis.stop(); }
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { killProcess as kill, waitStopped } from './process.js';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the server (idempotent); the port stays reserved for `restart()` as far as we can. */
  halt(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers (a hung Redis). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Starts it again on the same port (after `halt()`, or kills and starts when running). */
  restart(): Promise<void>;
  /** Kills the server and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** `requirepass` for the server. */
  password?: string;
}

const BIN = '/usr/bin/redis-server';
const HOST = '127.0.0.1';
const START_ATTEMPTS = 5;

export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'modmq-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;

  const launch = async (wanted?: number): Promise<void> => {
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const p = wanted ?? (await freePort(HOST));
      const args = ['--port', String(p), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
      if (options.password) args.push('--requirepass', options.password);
      const proc = spawn(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      try {
        await waitReady(proc, p, options.password);
        child = proc;
        port = p;
        return;
      } catch (error) {
        lastError = error;
        await kill(proc);
        if (wanted !== undefined && attempt >= 2) break; // the fixed port stays taken
      }
    }
    throw new Error(`redis-server did not start: ${(lastError as Error)?.message ?? lastError}`);
  };

  await launch().catch(async (error) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });

  let stopped = false;
  const server: RedisServer = {
    host: HOST,
    get port() {
      return port;
    },
    get url() {
      return `redis://${HOST}:${port}`;
    },
    async halt() {
      const c = child;
      child = undefined;
      if (c) await kill(c);
    },
    pause() {
      if (child?.pid !== undefined) {
        process.kill(child.pid, 'SIGSTOP');
        waitStopped(child.pid);
      }
    },
    resume() {
      if (child?.pid !== undefined) process.kill(child.pid, 'SIGCONT');
    },
    async restart() {
      if (stopped) throw new Error('redis server stopped');
      await server.halt();
      await launch(port);
    },
    async stop() {
      stopped = true;
      await server.halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Resolves when the server answers PING (and AUTH when a password is set); rejects when it exits. */
function waitReady(proc: ChildProcess, port: number, password: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const onExit = (code: number | null): void => finish(new Error(`exited with ${code}: ${stderr.trim()}`));
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      proc.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    proc.once('exit', onExit);
    proc.once('error', (e) => finish(e));
    let tries = 0;
    const probe = (): void => {
      if (done) return;
      if (++tries > 500) return finish(new Error(`no answer on port ${port}`));
      const socket = net.connect(port, HOST);
      let reply = '';
      socket.on('connect', () => socket.write((password ? `AUTH ${password}\r\n` : '') + 'PING\r\n'));
      socket.on('data', (d) => {
        reply += d.toString();
        if (reply.includes('+PONG')) {
          socket.destroy();
          finish();
        } else if (reply.includes('-LOADING')) {
          socket.destroy();
          timer = setTimeout(probe, 10);
        }
      });
      socket.on('error', () => {
        socket.destroy();
        timer = setTimeout(probe, 10);
      });
    };
    probe();
  });
}

