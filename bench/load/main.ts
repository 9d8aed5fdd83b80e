/**
 * The load generator process. It runs apart from the broker (its own child process, pinned to
 * another core when possible) and takes one job at a time from the orchestrator over IPC, so the
 * process starts once per bench rather than once per run.
 */
import { runStorm, releaseStorm } from './storm.js';
import { runThroughput } from './throughput.js';
import type { LoadJob, LoadResult } from './types.js';

if (process.send === undefined) {
  console.error('bench/load/main.ts is started by bench/run.ts (it needs an IPC channel)');
  process.exit(2);
}

async function handle(job: LoadJob): Promise<LoadResult> {
  switch (job.kind) {
    case 'throughput':
      return runThroughput(job);
    case 'storm':
      return runStorm(job);
    case 'release':
      return { kind: 'release', closed: releaseStorm() };
  }
}

let queue = Promise.resolve();
process.on('message', (job: LoadJob) => {
  queue = queue.then(async () => {
    let result: LoadResult;
    try {
      result = await handle(job);
    } catch (error) {
      result = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    }
    process.send?.(result);
  });
});
// The orchestrator going away (even killed) closes the channel: leave with it.
process.on('disconnect', () => {
  releaseStorm();
  process.exit(0);
});
