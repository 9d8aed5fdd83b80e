/**
 * Child processes of the bench: every one is tracked and killed when the bench ends, normally, on
 * error or on a signal. Optionally pinned to a CPU with taskset so broker and load generator never
 * share a core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();
let tmpRoot: string | undefined;

/**
 * One temp dir for the whole bench (data dirs, generated configs), handed to children as
 * MODMQ_BENCH_TMP and removed on exit whatever happened, even after a SIGKILL of a child.
 */
export function benchTmpRoot(): string {
  tmpRoot ??= mkdtempSync(join(tmpdir(), 'modmq-bench-'));
  return tmpRoot;
}

export interface SpawnOptions {
  /** CPU list for taskset (`"1"`), or undefined to leave scheduling to the OS. */
  cpus?: string | undefined;
  /** Extra node flags (e.g. --expose-gc). */
  nodeFlags?: string[];
  /** Give the child an IPC channel (Node scripts). */
  ipc?: boolean;
}

/** Runs `bench/<script>` under node + tsx. */
export function spawnNodeScript(script: string, options: SpawnOptions = {}): ChildProcess {
  const path = fileURLToPath(new URL(`../${script}`, import.meta.url));
  return spawnTracked(process.execPath, ['--import', 'tsx', ...(options.nodeFlags ?? []), path], { ...options, ipc: true });
}

export function spawnTracked(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const [cmd, argv] = options.cpus !== undefined ? ['taskset', ['-c', options.cpus, command, ...args]] : [command, args];
  const child = spawn(cmd as string, argv as string[], {
    env: { ...process.env, MODMQ_BENCH_TMP: benchTmpRoot() },
    stdio: options.ipc === true ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * Ends a child: SIGTERM (unless `term` is false: the child was already asked over IPC), then
 * SIGKILL after `graceMs`. Resolves when the child is gone.
 */
export async function stopChild(child: ChildProcess, graceMs = 2000, term = true): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (term) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Synchronous last resort (process 'exit' handlers cannot await). */
export function killAllNow(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
  if (tmpRoot !== undefined) rmSync(tmpRoot, { recursive: true, force: true });
  tmpRoot = undefined;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child)));
}

/** Kill every child on exit, Ctrl-C, SIGTERM or a crash of the orchestrator. */
export function installCleanup(): void {
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // Kill, then reap (bounded) so no zombie is left to an init that may not reap it.
      const children = [...live];
      const reaped = children.map((c) =>
        c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((resolve) => c.once('exit', resolve)),
      );
      killAllNow();
      const timer = setTimeout(() => process.exit(130), 2000);
      void Promise.all(reaped).then(() => {
        clearTimeout(timer);
        process.exit(130);
      });
    });
  }
}

/** Waits for the next IPC message matching `accept`, rejecting on exit or timeout. */
export function nextMessage<T>(child: ChildProcess, accept: (m: unknown) => m is T, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!accept(message)) return;
      cleanup();
      resolve(message);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`${what}: child exited (${signal ?? code}) before answering`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
