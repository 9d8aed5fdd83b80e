import { join } from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ClientInfo, MessagePublishHook, MessagePublishResult, MessagePublishStop, PublishedMessage } from '../../broker/hooks.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { DELAYED_PREFIX, parseDelayedTopic } from './delayed-topic.js';
import { moduleKeyPrefix } from '../../cluster/cluster-context.js';
import type { DelayedMessage } from './delayed-store.js';
import { DelayedStore } from './delayed-store.js';
import { whenReady, type DelayedQueue } from './delayed-queue.js';
import { DelayedOwner } from './delayed-owner.js';
import { RedisDelayedStore } from './redis-delayed-store.js';
import { DelayedScheduler } from './scheduler.js';
import { createDelayedService, DELAYED_SERVICE } from './service.js';
import { withDeadline } from './store-deadline.js';

export interface DelayedPublishConfig {
  max_delayed_messages: number;
}

export const DELAYED_DB_FILE = 'delayed.db';
const DOLLAR = 0x24;
// MQTT 5 PUBACK/PUBREC reason codes for a refused message (QoS 0 and MQTT 3: dropped, logged).
export const TOPIC_NAME_INVALID = 0x90;
export const QUOTA_EXCEEDED = 0x97;
export const UNSPECIFIED_ERROR = 0x80;
/** How long a QoS 1/2 publisher's ack waits for Redis before it is told the message was not stored. */
export const STORE_DEADLINE_MS = 5000;

/**
 * The store failed (Redis down or too slow, SQLite I/O error): 0x80 Unspecified error. Not 0x97
 * Quota exceeded (that is max_delayed_messages, and tells the client it sent too much) nor 0x83
 * Implementation specific error (a policy refusal: sending again would not help). `transient`: an
 * MQTT 3 publisher is disconnected without an ack and sends it again (publish-intercept.ts). EMQX 4.4
 * writes to Mnesia inside the hook and has no such answer: there a failed write loses the message.
 */
const NOT_STORED: MessagePublishStop = {
  stop: true,
  reasonCode: UNSPECIFIED_ERROR,
  reason: 'delayed message could not be stored; try again',
  transient: true,
};

/** stored/published/...: as named; store_failed: refused to a QoS 1/2 publisher; lost: QoS 0, nobody could be told. */
type Result = 'stored' | 'published' | 'invalid' | 'dropped_full' | 'publish_failed' | 'store_failed' | 'lost';

/** Our metrics, replacing a stale registration of the same name (a previous instance). */
function registerMetrics(registry: Registry, count: () => number): { counter: Counter<'result'>; gauge: Gauge; remove(): void } {
  for (const name of ['modmq_delayed_messages', 'modmq_delayed_messages_total']) {
    if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  }
  const gauge = new Gauge({
    name: 'modmq_delayed_messages',
    help: 'Delayed messages held (this node, or the whole cluster on Redis)',
    registers: [registry],
    collect() {
      this.set(count());
    },
  });
  const counter = new Counter({
    name: 'modmq_delayed_messages_total',
    help: 'Delayed messages by outcome (stored, published, invalid, dropped_full, publish_failed, store_failed, lost)',
    labelNames: ['result'],
    registers: [registry],
  });
  return {
    gauge,
    counter,
    remove() {
      // Only ours: a newer instance may have registered its own meanwhile.
      if (registry.getSingleMetric('modmq_delayed_messages') === gauge) registry.removeSingleMetric('modmq_delayed_messages');
      if (registry.getSingleMetric('modmq_delayed_messages_total') === counter) registry.removeSingleMetric('modmq_delayed_messages_total');
    },
  };
}

/**
 * delayed-publish: a messagePublish hook takes `$delayed/{interval}/{topic}` messages off the
 * route into a SQLite store under the module's data dir; one timer publishes them (as the broker,
 * so topic rewrite and routing apply) when due. Plain topics cost one char comparison. In cluster
 * mode the queue is in the cluster's Redis and one node at a time releases it (delayed-owner.ts).
 * A QoS 1/2 publisher is acknowledged only once the store has its message; a store failure is
 * answered with 0x80 (MQTT 5) or a disconnect without ack (MQTT 3, on Redis: it sends it again).
 */
export const delayedPublish: ModuleType<DelayedPublishConfig> = {
  type: 'delayed-publish',
  family: 'internal',
  schemaVersion: 1,

  async create(ctx: ModuleContext, config: DelayedPublishConfig): Promise<ModuleInstance<DelayedPublishConfig>> {
    let max = config.max_delayed_messages ?? 0;
    // Cluster mode: one queue in the cluster's Redis, released by one node at a time (delayed-owner.ts).
    const store: DelayedQueue =
      ctx.cluster === undefined
        ? DelayedStore.open(join(await ctx.dataDir(), DELAYED_DB_FILE))
        : await RedisDelayedStore.open(ctx.cluster, moduleKeyPrefix(ctx.cluster, ctx.moduleId), (error) =>
            ctx.log.warn({ err: error }, 'delayed publish: Redis connection error'),
          );
    const metrics = registerMetrics(ctx.metrics, () => store.count());
    const count = (result: Result): void => metrics.counter.inc({ result });

    const publish = (m: DelayedMessage): Promise<void> =>
      ctx.broker.publish({
        topic: m.topic,
        payload: m.payload,
        qos: m.qos,
        retain: m.retain,
        ...(m.properties ? { properties: m.properties } : {}),
      });
    const onPublished = (_m: DelayedMessage, error: unknown): void => count(error === undefined ? 'published' : 'publish_failed');
    const scheduler =
      store instanceof RedisDelayedStore
        ? new DelayedOwner({ store, cluster: ctx.cluster!, nodeName: ctx.node.name, log: ctx.log, publish, onPublished })
        : new DelayedScheduler({ store, log: ctx.log, publish, onPublished });

    // QoS 0 has no ack to carry a failure: logged and counted.
    const lost = (error: unknown, clientId: string | null, topic: string): void => {
      count('lost');
      ctx.log.error({ err: error, clientId, topic }, 'delayed publish could not store a QoS 0 message; lost');
    };
    // A held message keeps the success ack (0x00; MQTT 5 would allow 0x10, EMQX sends 0x00), sent
    // only once the store has it: SQLite answers at once; on Redis the hook answers a Promise and
    // the broker holds the PUBACK/PUBREC until it settles.
    const intake = (client: ClientInfo | null, message: PublishedMessage): MessagePublishResult | Promise<MessagePublishResult> => {
      const now = Date.now();
      const parsed = parseDelayedTopic(message.topic, now);
      const clientId = client?.clientId ?? null;
      if (parsed.kind !== 'delayed') {
        count('invalid');
        const reason = parsed.kind === 'invalid' ? parsed.reason : 'not a $delayed topic';
        ctx.log.warn({ clientId, topic: message.topic, reason }, 'delayed publish rejected: invalid interval or topic');
        return { stop: true, reasonCode: TOPIC_NAME_INVALID, reason: `invalid $delayed topic: ${reason}` };
      }
      if (max > 0 && store.count() >= max) {
        count('dropped_full');
        ctx.log.warn({ clientId, topic: parsed.topic, max }, 'delayed publish dropped: max_delayed_messages reached');
        return { stop: true, reasonCode: QUOTA_EXCEEDED, reason: `max_delayed_messages (${max}) reached` };
      }
      const inserted = store.insert({
        topic: parsed.topic,
        payload: message.payload,
        qos: message.qos,
        retain: message.retain,
        properties: message.properties,
        fromClientId: clientId,
        fromUsername: client?.username ?? null,
        publishAt: parsed.publishAt,
        createdAt: now,
      }, max);
      const stored = (id: number): 'stop' | MessagePublishStop => {
        if (id === 0) {
          count('dropped_full');
          ctx.log.warn({ clientId, topic: parsed.topic, max }, 'delayed publish dropped: max_delayed_messages reached in the cluster');
          return { stop: true, reasonCode: QUOTA_EXCEEDED, reason: `max_delayed_messages (${max}) reached` };
        }
        count('stored');
        scheduler.added(parsed.publishAt);
        return 'stop';
      };
      if (!(inserted instanceof Promise)) return stored(inserted);
      if (message.qos === 0) {
        // No ack to hold back: answered now, so the publisher's next packets do not wait on Redis.
        whenReady(inserted, stored, (error) => lost(error, clientId, parsed.topic));
        return 'stop';
      }
      const undo = (id: number): void => {
        // Its publisher was told it failed (and may send it again): it must not go out as well.
        if (id === 0) return;
        ctx.log.warn({ clientId, topic: parsed.topic, id }, 'delayed message stored after its deadline; removed, the publisher was refused');
        whenReady(store.delete(id), () => scheduler.removed(), (error) => ctx.log.error({ err: error, id }, 'delayed publish could not remove a message stored too late'));
      };
      return withDeadline(inserted, STORE_DEADLINE_MS, undo).then(stored, (error: unknown) => {
        count('store_failed');
        ctx.log.error({ err: error, clientId, topic: parsed.topic }, 'delayed publish could not store the message; refused to the publisher');
        return NOT_STORED;
      });
    };
    const hook: MessagePublishHook = (client, message) => {
      const topic = message.topic;
      if (topic.charCodeAt(0) !== DOLLAR || !topic.startsWith(DELAYED_PREFIX)) return 'continue';
      try {
        return intake(client, message);
      } catch (error) {
        // A store failure (SQLite) must not let the $delayed topic through to subscribers.
        if (message.qos === 0) {
          lost(error, client?.clientId ?? null, topic);
          return 'stop';
        }
        count('store_failed');
        ctx.log.error({ err: error, topic }, 'delayed publish could not store the message; refused to the publisher');
        return NOT_STORED;
      }
    };

    let unhook: (() => void) | undefined;
    let unexpose: (() => void) | undefined;
    try {
      // Only Redis answers later: with SQLite, MQTT 3 publishes keep their cheaper path.
      unhook = ctx.hooks.messagePublish(hook, { mayWait: store instanceof RedisDelayedStore });
      unexpose = ctx.expose(DELAYED_SERVICE, createDelayedService(store, () => max, () => scheduler.removed()));
      // Messages that fell due while the node was down go out now.
      await scheduler.start();
    } catch (error) {
      unhook?.();
      unexpose?.();
      metrics.remove();
      await scheduler.stop();
      await store.close();
      throw error;
    }

    return {
      async update(next: DelayedPublishConfig): Promise<void> {
        // Lowering the limit keeps what is held; only new messages are refused.
        max = next.max_delayed_messages ?? 0;
      },
      async stop(): Promise<void> {
        unhook?.();
        unexpose?.();
        await scheduler.stop();
        metrics.remove();
        await store.close();
      },
      status: () => ({ state: 'running' }),
    };
  },
};
