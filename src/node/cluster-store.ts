import type { Logger } from 'pino';
import type { ConfigStore } from '../store/config-store.js';
import type { NodeDatabase } from '../store/node-database.js';
import { openRedisStore, redactUrl } from '../store/redis-store.js';
import type { NodeConfig } from './node-config.js';

/**
 * The config store a node uses: `cluster.backend = redis` opens the shared one on Redis, otherwise
 * the node database's own. On failure the node database is closed, so start-up leaves nothing open.
 */
export async function openClusterStore(config: NodeConfig, database: NodeDatabase, log: Logger): Promise<ConfigStore> {
  const cluster = config.cluster;
  if (cluster?.backend !== 'redis') return database.store;
  if (!cluster.url) {
    await database.close();
    throw new Error('cluster.url is required with cluster.backend = redis');
  }
  try {
    const store = await openRedisStore({ url: cluster.url, name: cluster.name ?? 'modmq', log });
    log.info({ url: redactUrl(cluster.url), cluster: cluster.name }, 'config store on Redis');
    return store;
  } catch (error) {
    await database.close();
    throw error;
  }
}
