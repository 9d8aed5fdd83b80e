import { Session } from 'node:inspector/promises';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';

/**
 * Records a V8 CPU profile of this process for `durationMs` through an in-process inspector
 * session; `signal` ends the recording early (module stop). Resolves with the .cpuprofile JSON.
 */
export async function recordCpuProfile(durationMs: number, signal: AbortSignal): Promise<object> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    try {
      await sleep(durationMs, undefined, { signal });
    } catch {
      // Aborted: stop now and return what was recorded.
    }
    const { profile } = await session.post('Profiler.stop');
    await session.post('Profiler.disable');
    return profile as object;
  } finally {
    session.disconnect();
  }
}

/** A heap snapshot as a stream (V8 pauses the process while it is taken). */
export function heapSnapshotStream(): Readable {
  return v8.getHeapSnapshot();
}
