/** The orchestrator's handle on the load generator child: one job at a time over IPC. */
import type { ChildProcess } from 'node:child_process';
import type { LoadJob, LoadResult } from '../load/types.js';
import { nextMessage, spawnNodeScript, stopChild } from './children.js';

export class LoadGenerator {
  private constructor(private readonly child: ChildProcess) {}

  static start(cpus: string | undefined): LoadGenerator {
    return new LoadGenerator(spawnNodeScript('load/main.ts', { cpus }));
  }

  /** Runs one job; a job reporting an error rejects. `timeoutMs` bounds a wedged child. */
  async run<K extends LoadJob['kind']>(job: LoadJob & { kind: K }, timeoutMs: number): Promise<Extract<LoadResult, { kind: K }>> {
    const isResult = (m: unknown): m is LoadResult => typeof m === 'object' && m !== null && 'kind' in m;
    const reply = nextMessage(this.child, isResult, timeoutMs, `load ${job.kind}`);
    this.child.send(job);
    const result = await reply;
    if (result.kind === 'error') throw new Error(`load ${job.kind}: ${result.message}`);
    if (result.kind !== job.kind) throw new Error(`load ${job.kind}: unexpected answer ${result.kind}`);
    return result as Extract<LoadResult, { kind: K }>;
  }

  async stop(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    await stopChild(this.child);
  }
}
