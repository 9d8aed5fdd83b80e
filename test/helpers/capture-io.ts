/** A CliIo for running `modmq` commands in process (runCli): what they print is kept in arrays. */
import type { CliIo } from '../../src/cli/io.js';

export function captureIo(cwd: string, env: Record<string, string | undefined> = {}): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    env,
    cwd,
    out: (l) => lines.push(l),
    err: (l) => errors.push(l),
    write: (t) => lines.push(t),
    readStdin: async () => '',
    fetch: globalThis.fetch.bind(globalThis),
  };
}
