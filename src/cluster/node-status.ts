/**
 * Per-node module status in Redis: `${keyPrefix}status:<node>` holds the node's NodeModuleStatus
 * (applied revision, each module's state and error), written on every change the reconciler reports
 * and again with every heartbeat, with the membership TTL, so a dead node's status goes with it.
 *
 * Also the cluster-wide view of one module: its state on every node and a summary state.
 */
import type { Redis } from 'ioredis';
import type { ModuleState, ModuleStatus, NodeModuleStatus } from '../modules/runtime/module-status.js';
import type { ModuleRecord } from '../store/cluster-document.js';
import type { ClusterLog } from './membership.js';

export const nodeStatusKey = (keyPrefix: string, name: string): string => `${keyPrefix}status:${name}`;

export interface NodeStatusPublisherOptions {
  redis: Redis;
  keyPrefix: string;
  node: string;
  status: () => NodeModuleStatus;
  ttlMs: number;
  log: ClusterLog;
}

/** Writes this node's status to Redis: coalesced (one write in flight, one more if anything changed meanwhile). */
export class NodeStatusPublisher {
  private writing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private failing = false;

  constructor(private readonly options: NodeStatusPublisherOptions) {}

  /** Something changed: publish soon (many changes in one apply make one or two writes). */
  changed(): void {
    void this.publish();
  }

  publish(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.writing) {
      this.again = true;
      return this.writing;
    }
    this.writing = (async () => {
      // A fresh tick: the reconciler's synchronous state changes of this step land in one write.
      await new Promise((r) => setImmediate(r));
      do {
        this.again = false;
        await this.writeOnce();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** Stops publishing and removes the entry (a clean stop leaves nothing behind). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.writing;
    await this.options.redis.del(nodeStatusKey(this.options.keyPrefix, this.options.node)).catch(() => undefined);
  }

  private async writeOnce(): Promise<void> {
    const { redis, keyPrefix, node, status, ttlMs, log } = this.options;
    try {
      await redis.set(nodeStatusKey(keyPrefix, node), JSON.stringify(status()), 'PX', ttlMs);
      this.failing = false;
    } catch (err) {
      // Membership logs the outage; the next heartbeat writes the status again.
      if (!this.failing) log.warn({ err: (err as Error).message }, 'node status: write failed; retrying with the heartbeat');
      this.failing = true;
    }
  }
}

/** The statuses of NAMES (missing = not published yet or expired). */
export async function readNodeStatuses(redis: Redis, keyPrefix: string, names: string[]): Promise<Map<string, NodeModuleStatus>> {
  const out = new Map<string, NodeModuleStatus>();
  if (names.length === 0) return out;
  const values = await redis.mget(...names.map((n) => nodeStatusKey(keyPrefix, n)));
  values.forEach((value, i) => {
    if (value !== null) out.set(names[i]!, JSON.parse(value) as NodeModuleStatus);
  });
  return out;
}

/** One module on one node, as the modules API lists it. */
export interface ModuleNodeStatus {
  node: string;
  state: ModuleState;
  servingRevision: number | null;
  error?: string;
  reason?: string;
}

/** A module across the cluster: `state` is the worst node's state; `counts` per state. */
export interface ModuleClusterStatus {
  state: ModuleState;
  nodes: number;
  counts: Partial<Record<ModuleState, number>>;
}

// Worst first: the cluster state of a module is the first of these any node reports.
const SEVERITY: ModuleState[] = ['failed', 'unavailable', 'degraded', 'starting', 'running', 'disabled'];

/** What a node that has not reported a module (yet) is taken to do with it. */
export function pendingStatus(record: Pick<ModuleRecord, 'id' | 'type' | 'enabled'>): ModuleStatus {
  return {
    id: record.id,
    type: record.type,
    state: record.enabled ? 'starting' : 'disabled',
    servingRevision: null,
    since: new Date().toISOString(),
  };
}

export function moduleOnNode(node: string, status: ModuleStatus): ModuleNodeStatus {
  const out: ModuleNodeStatus = { node, state: status.state, servingRevision: status.servingRevision };
  if (status.error !== undefined) out.error = status.error;
  if (status.reason !== undefined) out.reason = status.reason;
  return out;
}

/** The module's status on every node listed (in their order) and its cluster-wide summary. */
export function moduleAcrossNodes(
  record: Pick<ModuleRecord, 'id' | 'type' | 'enabled'>,
  nodes: Array<{ name: string; modules: ModuleStatus[] | null }>,
): { nodes: ModuleNodeStatus[]; cluster: ModuleClusterStatus } {
  const perNode = nodes.map((n) => moduleOnNode(n.name, n.modules?.find((m) => m.id === record.id) ?? pendingStatus(record)));
  return { nodes: perNode, cluster: summarize(perNode, record.enabled) };
}

export function summarize(perNode: ModuleNodeStatus[], enabled: boolean): ModuleClusterStatus {
  const counts: Partial<Record<ModuleState, number>> = {};
  for (const n of perNode) counts[n.state] = (counts[n.state] ?? 0) + 1;
  const worst = SEVERITY.find((s) => (counts[s] ?? 0) > 0) ?? (enabled ? 'starting' : 'disabled');
  return { state: worst, nodes: perNode.length, counts };
}
