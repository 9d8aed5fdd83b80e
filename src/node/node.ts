/**
 * Node lifecycle: wires the parts together in the order that keeps promises to clients.
 * Start: store -> broker (not yet listening) -> reconciler applies the stored modules (so the auth
 * chain is in place before the first CONNECT) -> MQTT listeners -> management API.
 * Stop: the reverse, each step bounded, so SIGTERM never hangs.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { buildApi } from '../api/app.js';
import { CredentialStore } from '../api/credential-store.js';
import { createBroker, type BoundListener } from '../broker/broker.js';
import { mqtt5LimitsFromConfig } from '../broker/mqtt5-limits.js';
import { buildModuleRegistry } from '../modules/index.js';
import { createModuleService } from '../modules/runtime/module-service-impl.js';
import { Reconciler } from '../modules/runtime/reconciler.js';
import { createSchemaCatalog } from '../schema/index.js';
import { openNodeDatabase } from '../store/node-database.js';
import { openClusterStore } from './cluster-store.js';
import { redisClusterContext } from '../cluster/cluster-context.js';
import { localClusterView, redisClusterView } from '../cluster/cluster-view.js';
import { createRedisMessaging } from '../cluster/redis-messaging.js';
import { DepartedMembers } from '../cluster/forget-departed-members.js';
import { parseDurationMs } from '../broker/duration.js';
import { startSysTopics } from '../broker/sys-topics.js';
import { ensureInitialDocument } from './initial-document.js';
import type { NodeConfig } from './node-config.js';

const MODMQ_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface StartOptions {
  log: Logger;
  /** Seeds (or resets) the `admin` password; without it a first start generates one. */
  adminPassword?: string;
  /** Where one-time notices go (the generated admin password). */
  print: (line: string) => void;
}

export interface RunningNode {
  name: string;
  listeners: BoundListener[];
  api: { host: string; port: number };
  stop(): Promise<void>;
}

export async function startNode(config: NodeConfig, options: StartOptions): Promise<RunningNode> {
  const { log } = options;
  const dataDir = resolve(config.node.data_dir);
  await mkdir(dataDir, { recursive: true });

  const catalog = await createSchemaCatalog();
  const database = openNodeDatabase(dataDir);
  // The cluster document: SQLite alone, or Redis shared by the cluster (credentials stay in SQLite).
  const store = await openClusterStore(config, database, log.child({ part: 'store' }));
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'modmq_process_' });

  const startedAt = Date.now();
  // A fresh store gets the default modules (the retainer) as revision 1.
  const current = await ensureInitialDocument(store);
  // In a cluster, messages and sessions go through Redis (routing to every node).
  const messaging =
    config.cluster?.backend === 'redis' && config.cluster.url !== undefined
      ? await createRedisMessaging({
          url: config.cluster.url,
          name: config.cluster.name ?? 'modmq',
          nodeName: config.node.name,
          sharedSubscriptionStrategy: config.mqtt?.shared_subscription_strategy ?? 'round_robin',
          heartbeatMs: parseDurationMs(config.cluster?.heartbeat ?? '1s'),
          log: log.child({ part: 'cluster' }),
        })
      : undefined;
  const broker = await createBroker({
    nodeName: config.node.name,
    log: log.child({ part: 'broker' }),
    metrics,
    settings: current.document.settings,
    sharedSubscriptionStrategy: config.mqtt?.shared_subscription_strategy ?? 'round_robin',
    mqtt5: mqtt5LimitsFromConfig(config.mqtt),
    ...(messaging !== undefined ? { messaging, sharedGroups: messaging.sharedGroups, sessionRecords: messaging.sessionRecords } : {}),
  }).catch(async (error: unknown) => {
    await messaging?.close();
    throw error;
  });
  const registry = buildModuleRegistry();
  const cluster =
    config.cluster?.backend === 'redis' && config.cluster.url !== undefined
      ? redisClusterContext(config.cluster.url, config.cluster.name ?? 'modmq')
      : undefined;
  // Membership and per-node status (Redis), or just this node; announced once the API listens.
  const viewOptions = {
    name: config.node.name,
    version: MODMQ_VERSION,
    startedAt: new Date(startedAt).toISOString(),
    status: () => reconciler.status(),
    log: log.child({ part: 'cluster' }),
  };
  const view = cluster
    ? redisClusterView(cluster, { ...viewOptions, heartbeatMs: parseDurationMs(config.cluster?.heartbeat ?? '1s') })
    : localClusterView(viewOptions);
  const reconciler = new Reconciler({
    store: store,
    catalog,
    registry,
    hooks: broker.hooks,
    broker: broker.api,
    setSettings: (settings) => broker.setSettings(settings),
    node: { name: config.node.name, dataDir },
    ...(cluster !== undefined ? { cluster } : {}),
    log: log.child({ part: 'modules' }),
    metrics,
    onStatusChange: () => view.statusChanged(),
  });

  const cleanup: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const step of cleanup.reverse()) {
      await step().catch((error: unknown) => log.error({ err: error }, 'error while stopping'));
    }
  };
  try {
    cleanup.push(() => database.close());
    if (store !== database.store) cleanup.push(() => store.close());
    cleanup.push(() => broker.close());
    await reconciler.start();
    cleanup.push(() => reconciler.stop());
    const listeners = await broker.listen(config.listeners);
    let announced = false;
    const sys = startSysTopics({
      api: broker.api,
      metrics,
      log: log.child({ part: 'sys' }),
      intervalMs: parseDurationMs(config.sys?.interval ?? '1m'),
      version: MODMQ_VERSION,
      startedAt,
      // Every node publishes the whole list (retained, shared in a cluster): last writer is right too.
      brokers: async () => {
        // Until this node has announced itself the cluster list would miss it, or be this node alone.
        if (cluster !== undefined && !announced) return undefined;
        const listed = await view.nodes();
        return listed.error === undefined ? listed.nodes.map((n) => n.name) : undefined;
      },
    });
    cleanup.push(async () => sys.stop());

    const credentials = new CredentialStore(database.db);
    const { generatedPassword } = credentials.ensureAdmin(options.adminPassword);
    if (generatedPassword !== undefined) {
      options.print(`Generated the API password for user "admin" (shown once, only its hash is stored): ${generatedPassword}`);
    }
    const service = createModuleService({ store: store, catalog, registry });
    const api = await buildApi({
      service,
      status: () => reconciler.status(),
      whenApplied: (revision) => reconciler.whenApplied(revision),
      catalog,
      broker: broker.api,
      metrics,
      credentials,
      log: log.child({ part: 'api' }),
      nodeName: config.node.name,
      store: store,
      isImplemented: (type) => registry.has(type),
      services: reconciler.services,
      nodes: () => view.nodes(),
    });
    await api.listen({ host: config.api.bind, port: config.api.port });
    cleanup.push(() => api.close());
    const address = api.server.address();
    const apiPort = typeof address === 'object' && address !== null ? address.port : config.api.port;
    await view.start({ host: config.api.bind, port: apiPort }, listeners.map((l) => ({ name: l.name, kind: l.kind, host: l.host, port: l.port })));
    cleanup.push(() => view.stop());
    announced = true;
    if (cluster !== undefined) void sys.publishNow();
    if (messaging !== undefined) {
      // Membership knows within a few heartbeats that a node left: stop picking its shared members.
      const heartbeatMs = parseDurationMs(config.cluster?.heartbeat ?? '1s');
      const departed = new DepartedMembers(config.node.name, messaging.sharedGroups, 5 * heartbeatMs);
      const timer = setInterval(() => {
        view
          .nodes()
          .then((nodes) => {
            for (const node of departed.check(nodes)) log.warn({ node }, 'node left the cluster: its shared-subscription members are no longer picked');
          })
          .catch((error: unknown) => log.debug({ err: error }, 'membership check failed'));
      }, heartbeatMs * 5);
      timer.unref();
      cleanup.push(async () => clearInterval(timer));
    }
    return { name: config.node.name, listeners, api: { host: config.api.bind, port: apiPort }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
