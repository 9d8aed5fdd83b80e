import type { RetainedMessage } from '../../broker/hooks.js';
import type { Problem } from '../../schema/problem.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { DiscBackend } from './disc-backend.js';
import { type RetainerConfig, type RetainerPolicy, sweepPeriodMs, toPolicy } from './policy.js';
import { moduleKeyPrefix } from '../../cluster/cluster-context.js';
import { RamBackend, type RetainedBackend, type RetainedStorage } from './ram-backend.js';
import { RedisBackend } from './redis-backend.js';
import { Retainer, type RetainerCounters } from './retainer.js';

export type { RetainerConfig } from './policy.js';

/** Exposed as `retainer` while the module runs (management API, tests). */
export interface RetainerService {
  /** `redis` in cluster mode, whatever storage_type says. */
  storage(): RetainedStorage;
  count(): number;
  /** Live messages whose topic matches `filter` (default `#`, plus `$`-topics when `#`). */
  list(filter?: string): RetainedMessage[];
  get(topic: string): RetainedMessage | undefined;
  delete(topic: string): void;
  /** Removes expired messages now; returns how many. */
  sweep(): number;
  counters(): RetainerCounters;
}

export const RETAINER_SERVICE = 'retainer';

async function openBackend(ctx: ModuleContext, storage: RetainerPolicy['storage']): Promise<RetainedBackend> {
  if (storage === 'ram') return new RamBackend();
  return new DiscBackend(await ctx.dataDir(), (error) => ctx.log.error({ err: error }, 'could not write retained messages to disc'));
}

/**
 * retainer: the broker's RetainedStore (see src/broker/retained-bridge.ts for how aedes uses it)
 * plus a messagePublish hook for stop_publish_clear_msg. Without this module running, retained
 * messages are neither stored nor served (EMQX without its retainer). In cluster mode the messages
 * live in the cluster's Redis, mirrored on every node (redis-backend.ts); storage_type is ignored.
 */
export const retainer: ModuleType<RetainerConfig> = {
  type: 'retainer',
  family: 'internal',
  schemaVersion: 1,

  check(config: RetainerConfig): Problem[] {
    try {
      toPolicy(config);
      return [];
    } catch (error) {
      return [{ pointer: '', keyword: 'format', message: (error as Error).message }];
    }
  },

  async create(ctx: ModuleContext, config: RetainerConfig): Promise<ModuleInstance<RetainerConfig>> {
    let policy = toPolicy(config);
    let countRefused = (): void => undefined;
    // Cluster mode: one store in Redis shared by every node; storage_type does not apply.
    const shared =
      ctx.cluster === undefined
        ? undefined
        : await RedisBackend.open({
            cluster: ctx.cluster,
            prefix: moduleKeyPrefix(ctx.cluster, ctx.moduleId),
            maxMessages: () => policy.maxMessages,
            onRefusedFull: (message) => {
              countRefused();
              ctx.log.debug({ topic: message.topic }, 'retained message store full cluster-wide; not stored');
            },
            onError: (error, what) => ctx.log.warn({ err: error }, `retainer on Redis: ${what} failed`),
          });
    const store = new Retainer(shared ?? (await openBackend(ctx, policy.storage)), policy, ctx.log);
    countRefused = () => void store.counters.refusedFull++;
    const unhooks = [
      ctx.hooks.retainedStore(store),
      ctx.hooks.messagePublish((_client, message) => {
        if (!message.retain || message.payload.length > 0 || !policy.stopPublishClearMsg) return 'continue';
        // The broker skips a stopped message entirely, so delete here.
        store.remove(message.topic);
        return 'stop';
      }),
    ];
    const service: RetainerService = {
      storage: () => store.storage,
      count: () => store.size,
      list: (filter = '#') => (filter === '#' ? store.list() : store.match(filter)),
      get: (topic) => store.match(topic)[0],
      delete: (topic) => store.remove(topic),
      sweep: () => store.sweep(),
      counters: () => ({ ...store.counters }),
    };
    unhooks.push(ctx.expose(RETAINER_SERVICE, service));

    let timer: NodeJS.Timeout | undefined;
    const schedule = (): void => {
      if (timer !== undefined) clearInterval(timer);
      timer = setInterval(() => {
        try {
          store.sweep();
        } catch (error) {
          ctx.log.error({ err: error }, 'retained expiry sweep failed');
        }
      }, sweepPeriodMs(policy));
      timer.unref();
    };
    schedule();

    return {
      async update(next: RetainerConfig): Promise<void> {
        const nextPolicy = toPolicy(next); // throws before anything changes
        if (shared === undefined && nextPolicy.storage !== store.storage) {
          const target = await openBackend(ctx, nextPolicy.storage);
          let previous: RetainedBackend;
          try {
            previous = store.migrateTo(target);
          } catch (error) {
            target.close();
            throw error;
          }
          // A move, not a copy: the disc file must not resurrect old messages later.
          if (previous.kind === 'disc') previous.replaceAll([]);
          previous.close();
          ctx.log.info({ from: previous.kind, to: target.kind, messages: store.size }, 'retained messages moved');
        }
        policy = nextPolicy;
        store.setPolicy(policy);
        schedule();
      },
      async stop(): Promise<void> {
        if (timer !== undefined) clearInterval(timer);
        for (const unhook of unhooks) unhook();
        store.close();
        await shared?.closed();
      },
      status: () => ({ state: 'running' }),
    };
  },
};
