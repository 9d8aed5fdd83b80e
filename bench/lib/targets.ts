/**
 * The brokers under test. Node targets are scripts in bench/targets run as child processes;
 * Mosquitto is the Debian binary with a generated config. Each answers a port and its RSS.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TargetMessage } from '../targets/target-child.js';
import { benchTmpRoot, nextMessage, spawnNodeScript, spawnTracked, stopChild } from './children.js';

export interface RunningTarget {
  readonly id: string;
  readonly port: number;
  /** Resident memory in bytes, after a full GC for Node targets. */
  rss(): Promise<number>;
  /** CPU time (user + system, all threads) the broker process used so far, in microseconds. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

export interface TargetSpec {
  id: string;
  label: string;
  start(cpus: string | undefined): Promise<RunningTarget>;
}

const MOSQUITTO = '/usr/sbin/mosquitto';
const START_TIMEOUT_MS = 30_000;

function nodeTarget(id: string, label: string, script: string): TargetSpec {
  return {
    id,
    label,
    async start(cpus) {
      const child = spawnNodeScript(script, { cpus, nodeFlags: ['--expose-gc'] });
      const isReply = (m: unknown): m is TargetMessage =>
        typeof m === 'object' && m !== null && ['ready', 'failed'].includes((m as { kind: string }).kind);
      const first = await nextMessage(child, isReply, START_TIMEOUT_MS, `${id} start`).catch(async (error: unknown) => {
        await stopChild(child);
        throw error;
      });
      if (first.kind !== 'ready') {
        await stopChild(child);
        throw new Error(`${id} failed to start: ${first.kind === 'failed' ? first.message : first.kind}`);
      }
      return {
        id,
        port: first.port,
        cpuMicros: () => procCpuMicros(child),
        async rss() {
          const isGc = (m: unknown): m is { kind: 'gc-done'; rss: number } => (m as { kind?: string } | null)?.kind === 'gc-done';
          const reply = nextMessage(child, isGc, 10_000, `${id} gc`);
          child.send({ kind: 'gc' });
          return (await reply).rss;
        },
        async stop() {
          // Ask over IPC first so the target closes cleanly; kill it if that takes too long.
          const asked = child.connected;
          if (asked) child.send({ kind: 'stop' });
          await stopChild(child, 5000, !asked);
        },
      };
    },
  };
}

export const NODE_TARGETS: TargetSpec[] = [
  nodeTarget('aedes', 'bare aedes 2.0.0-beta.1', 'targets/aedes.ts'),
  nodeTarget('modmq-bare', 'modmq, no modules', 'targets/modmq-bare.ts'),
  nodeTarget('modmq-default', 'modmq, presence + topic-rewrite + retainer + builtin-db + acl-file', 'targets/modmq-default.ts'),
];

export const MOSQUITTO_TARGET: TargetSpec = {
  id: 'mosquitto',
  label: 'Debian mosquitto',
  async start(cpus) {
    const dir = await mkdtemp(join(benchTmpRoot(), 'mosquitto-'));
    const port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n`);
    const child = spawnTracked(MOSQUITTO, ['-c', conf], { cpus });
    let stderr = '';
    // Keep draining stderr (a full pipe would block mosquitto), remembering only the tail.
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    try {
      await waitForPort(port, child);
    } catch (error) {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
      throw new Error(`mosquitto did not start: ${(error as Error).message}\n${stderr}`);
    }
    return {
      id: 'mosquitto',
      port,
      rss: () => procRss(child),
      cpuMicros: () => procCpuMicros(child),
      async stop() {
        await stopChild(child);
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
};

export function mosquittoInstalled(): boolean {
  return existsSync(MOSQUITTO);
}

async function procRss(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (match === null) throw new Error('no VmRSS in /proc status');
  return Number(match[1]) * 1024;
}

let clockTicks: number | undefined;

/** utime + stime of /proc/<pid>/stat (fields 14 and 15, after the parenthesised name), in µs. */
async function procCpuMicros(child: ChildProcess): Promise<number> {
  const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / clockTicks;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited (${child.signalCode ?? child.exitCode})`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not open after ${START_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
