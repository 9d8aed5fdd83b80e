/** Small waits and probes shared by the multi-node tests. */
import type { NodeProcess } from './node-process.js';
import { nextMessage } from './node-process.js';

/** Polls CHECK until it returns a value other than undefined (or fails after timeoutMs, naming WHAT). */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export interface NodesAnswer {
  cluster: string | null;
  revision?: number;
  error?: string;
  nodes: Array<{
    name: string;
    self: boolean;
    version: string;
    api: { host: string; port: number };
    listeners: Array<{ kind: string; host: string; port: number }>;
    appliedRevision: number | null;
    modules: Array<{ id: string; state: string; error?: string }> | null;
  }>;
}

export const nodeNames = (answer: NodesAnswer): string[] => answer.nodes.map((n) => n.name);

/** A topic-rewrite config sending `<prefix>/x` to `<dest>/x`. */
export const rewriteRule = (prefix: string, dest: string): unknown => ({
  rules: [{ action: 'publish', source_topic: `${prefix}/#`, re: `^${prefix}/(.+)$`, dest_topic: `${dest}/$1` }],
});

/** Publishes `<prefix>/x` on NODE and returns the topic a `#`-style subscriber on NODE sees it on. */
export async function whereDoesItGo(node: NodeProcess, prefix: string, tag: string): Promise<string> {
  const sub = await node.connect({ clientId: `sub-${tag}` });
  await sub.subscribeAsync('+/x', { qos: 1 });
  const got = nextMessage(sub);
  const pub = await node.connect({ clientId: `pub-${tag}` });
  await pub.publishAsync(`${prefix}/x`, tag, { qos: 1 });
  const m = await got;
  await Promise.all([sub.endAsync(), pub.endAsync()]);
  return m.topic;
}

/** Waits until NODE no longer lists CLIENT_ID (its disconnect was handled); fails after ~10 s. */
export async function clientGone(node: NodeProcess, clientId: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const res = await node.request('GET', `/clients/${encodeURIComponent(clientId)}`);
    await res.text();
    if (res.status === 404) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${clientId} still listed`);
}
