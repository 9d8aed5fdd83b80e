/**
 * What every Node broker target does in its child process: start, tell the orchestrator its port,
 * answer `gc` (collect, then report RSS) and `stop`, and leave when the orchestrator goes away.
 */
export interface StartedTarget {
  port: number;
  close(): Promise<void>;
}

export type TargetMessage = { kind: 'ready'; port: number } | { kind: 'gc-done'; rss: number } | { kind: 'failed'; message: string };

export async function serveTarget(start: () => Promise<StartedTarget>): Promise<void> {
  const send = (message: TargetMessage): void => {
    process.send?.(message);
  };
  if (process.send === undefined) {
    console.error('bench targets are started by bench/run.ts (they need an IPC channel)');
    process.exit(2);
  }
  let target: StartedTarget;
  try {
    target = await start();
  } catch (error) {
    send({ kind: 'failed', message: error instanceof Error ? error.stack ?? error.message : String(error) });
    process.exit(1);
  }
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (message: { kind: string }) => {
    if (message.kind === 'gc') {
      gc?.();
      gc?.();
      send({ kind: 'gc-done', rss: process.memoryUsage.rss() });
    } else if (message.kind === 'stop') {
      void target.close().finally(() => process.exit(0));
    }
  });
  // Orphaned (the orchestrator died): close what we can, but never outlive it by more than 3 s.
  process.on('disconnect', () => {
    setTimeout(() => process.exit(1), 3000).unref();
    void target.close().finally(() => process.exit(0));
  });
  send({ kind: 'ready', port: target.port });
}
