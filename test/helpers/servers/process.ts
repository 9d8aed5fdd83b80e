/** Process plumbing shared by the test server launchers (MariaDB, PostgreSQL, Redis, slapd). */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Kills `pid` and removes `dir` once this test process is gone (runner killed, crash), so a server
 * never outlives its test.
 */
export function watchdog(pid: number, dir: string): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null; sleep 1; rm -rf '${dir}'`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

/** A file's text, or '' when it cannot be read (logs of a server that died early). */
export function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Stops a child and resolves when it has exited. `signal` SIGTERM lets a server close its files
 * cleanly; one that ignores it is killed hard after `graceMs`.
 */
export async function killProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGKILL', graceMs = 10_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const hard = signal === 'SIGKILL' ? undefined : setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      if (hard) clearTimeout(hard);
      resolve();
    });
    proc.kill(signal);
  });
}

/**
 * Waits (bounded, ~2 s) until `pid` is really stopped after a SIGSTOP: the signal is delivered
 * asynchronously, and a test that freezes a backend must not race a reply still being written.
 */
export function waitStopped(pid: number): void {
  for (let i = 0; i < 400; i++) {
    const stat = safeRead(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (state === 'T' || state === 't' || stat === '') return;
    Atomics.wait(pause, 0, 0, 5);
  }
}
