import type { Logger } from 'pino';
import type { AclCachePolicy } from './acl-cache.js';
import type { BrokerMetrics } from './broker-metrics.js';
import type { ClientState } from './client-state.js';
import type { BrokerHookRegistry } from './hook-registry.js';
import type { ClusterSettings } from '../store/cluster-document.js';

/** What the auth and ACL pipelines share with the broker; `settings` and `cachePolicy` change live. */
export interface PipelineContext {
  readonly hooks: BrokerHookRegistry;
  readonly log: Logger;
  readonly metrics: BrokerMetrics;
  /** Connected (CONNACK sent) clients by id. */
  readonly clients: Map<string, ClientState>;
  settings: ClusterSettings;
  cachePolicy: AclCachePolicy;
}
