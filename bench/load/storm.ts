/**
 * Connection storm: N clients connect and subscribe (at most `concurrency` handshakes in flight)
 * and stay connected until released, so the orchestrator can read the broker's memory meanwhile.
 */
import { performance } from 'node:perf_hooks';
import { RawClient } from './raw-client.js';
import type { StormJob, StormResult } from './types.js';

let held: RawClient[] = [];

export async function runStorm(job: StormJob): Promise<StormResult> {
  releaseStorm();
  const tStart = performance.now();
  const deadline = tStart + job.maxMs;
  let next = 0;
  let connected = 0;
  let tLast = tStart;
  let firstError: unknown;

  const worker = async (): Promise<void> => {
    while (next < job.clients && performance.now() < deadline && firstError === undefined) {
      const i = next++;
      try {
        const client = await RawClient.open(job.host, job.port, `storm-${job.runId}-${i}`);
        held.push(client);
        await client.subscribe(`storm/${i}`, 0);
        connected++;
        tLast = performance.now();
      } catch (error) {
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, job.clients) }, worker));
  if (connected === 0 && firstError !== undefined) throw firstError;
  const seconds = Math.max(tLast - tStart, 1) / 1000;
  return { kind: 'storm', connected, 'connects/s': Math.round(connected / seconds), elapsed_ms: Math.round(tLast - tStart) };
}

/** Closes every storm client (abortive close, no TIME_WAIT); returns how many there were. */
export function releaseStorm(): number {
  const n = held.length;
  for (const client of held) client.destroy();
  held = [];
  return n;
}
