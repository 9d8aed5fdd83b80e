/**
 * A real cluster for tests: one throw-away `redis-server` and N `modmq start` processes that share
 * it (`cluster { backend = redis }`), each on its own free ports and temp dir. Nodes are named
 * `n1@127.0.0.1`, `n2@127.0.0.1`, ... Close it with `stop()` (nodes first, then Redis).
 *
 *   const cluster = await startCluster({ nodes: 3 });
 *   try { const [a, b, c] = cluster.nodes; ... } finally { await cluster.stop(); }
 */
import { randomUUID } from 'node:crypto';
import { defaultConfig, removeTempDir, startNodeProcess, type NodeProcess } from './node-process.js';
import { startRedis, type RedisServer } from './servers/redis.js';

export interface ClusterOptions {
  nodes?: number;
  /** Cluster name (default: a fresh one, so tests never see each other's keys). */
  name?: string;
  /** Extra HOCON appended to every node's config. */
  extraConfig?: string;
  /** One admin password for all nodes (each node keeps its own credential store). */
  password?: string;
}

export interface TestCluster {
  readonly redis: RedisServer;
  readonly name: string;
  readonly nodes: NodeProcess[];
  /** The HOCON config node `index` (1-based) runs with, for restarts in the same dir. */
  configFor(index: number): string;
  /** Starts node `index` (1-based): one more, or a restart in its old dir (`dir`) after `stop()`. */
  startNode(index: number, dir?: string): Promise<NodeProcess>;
  stop(): Promise<void>;
}

export function clusterNodeConfig(index: number, redisUrl: string, name: string, extra = ''): string {
  return [
    defaultConfig(`n${index}@127.0.0.1`),
    `cluster { backend = redis, url = "${redisUrl}", name = "${name}" }`,
    extra,
    '',
  ].join('\n');
}

export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const redis = await startRedis();
  const name = options.name ?? `t-${randomUUID().slice(0, 8)}`;
  const password = options.password ?? `pw-${randomUUID().slice(0, 8)}`;
  const nodes: NodeProcess[] = [];
  // Restarted nodes reuse a dir they do not own; remove every dir at the end.
  const dirs = new Set<string>();
  const configFor = (index: number): string => clusterNodeConfig(index, redis.url, name, options.extraConfig);
  const startNode = async (index: number, dir?: string): Promise<NodeProcess> => {
    const node = await startNodeProcess({ config: configFor(index), password, ...(dir !== undefined ? { dir } : {}) });
    nodes[index - 1] = node;
    dirs.add(node.dir);
    return node;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.close().catch(() => undefined)));
    await Promise.all([...dirs].map((d) => removeTempDir(d)));
    await redis.stop();
  };
  try {
    // One after the other: the first start writes the initial document, the others find it.
    for (let i = 1; i <= (options.nodes ?? 3); i++) await startNode(i);
  } catch (error) {
    await stop();
    throw error;
  }
  return { redis, name, nodes, configFor, startNode, stop };
}
