import type { SubscriptionRequest } from '../../broker/broker-api.js';
import type { ClientInfo } from '../../broker/hooks.js';
import { isValidFilter } from '../../broker/topic.js';
import type { Problem } from '../../schema/problem.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { compileTopic, expandTopic, type TopicTemplate } from './topic-template.js';

export interface ProxyTopicConfig {
  topic: string;
  qos: 0 | 1 | 2;
  nl: boolean;
  rap: boolean;
  rh: 0 | 1 | 2;
}

export interface ProxySubscriptionConfig {
  topics: ProxyTopicConfig[];
}

interface CompiledTopic {
  template: TopicTemplate;
  options: Omit<SubscriptionRequest, 'topic'>;
}

function compile(config: ProxySubscriptionConfig): CompiledTopic[] {
  return (config.topics ?? []).map((t) => ({
    template: compileTopic(t.topic),
    options: { qos: t.qos ?? 0, nl: t.nl ?? false, rap: t.rap ?? false, rh: t.rh ?? 0 },
  }));
}

/**
 * The subscriptions for one client, in config order. MQTT 5 options are always passed; the broker
 * drops them for MQTT 3 clients (BrokerApi.subscribeClient).
 */
export function subscriptionsFor(
  topics: readonly CompiledTopic[],
  client: Pick<ClientInfo, 'clientId' | 'username'>,
  onSkip: (topic: string, reason: string) => void,
): SubscriptionRequest[] {
  const out: SubscriptionRequest[] = [];
  for (const t of topics) {
    const expanded = expandTopic(t.template, client);
    if (expanded.ok) out.push({ topic: expanded.topic, ...t.options });
    else onSkip(t.template.source, expanded.reason);
  }
  return out;
}

/** proxy-subscription: subscribes each client to the configured topics on connect (EMQX `subscription`). */
export const proxySubscription: ModuleType<ProxySubscriptionConfig> = {
  type: 'proxy-subscription',
  family: 'internal',
  schemaVersion: 1,

  check(config: ProxySubscriptionConfig): Problem[] {
    const problems: Problem[] = [];
    (config.topics ?? []).forEach((t, i) => {
      if (!isValidFilter(t.topic)) {
        problems.push({ pointer: `/topics/${i}/topic`, keyword: 'topic-filter', message: 'topic must be a valid MQTT topic filter' });
      }
    });
    return problems;
  },

  async create(ctx: ModuleContext, config: ProxySubscriptionConfig): Promise<ModuleInstance<ProxySubscriptionConfig>> {
    let topics = compile(config);

    const unhook = ctx.hooks.clientConnected((client) => {
      const requests = subscriptionsFor(topics, client, (topic, reason) =>
        ctx.log.warn({ clientId: client.clientId, topic, reason }, 'proxy subscription skipped'),
      );
      if (requests.length === 0) return;
      ctx.broker.subscribeClient(client.clientId, requests).then(
        (granted) => {
          granted.forEach((code, i) => {
            if (code >= 0x80) ctx.log.warn({ clientId: client.clientId, topic: requests[i]!.topic, code }, 'proxy subscription refused');
          });
        },
        (err: unknown) => ctx.log.warn({ err, clientId: client.clientId }, 'proxy subscription failed'),
      );
    });

    return {
      async update(next: ProxySubscriptionConfig): Promise<void> {
        // Applies to clients connecting from now on, as in EMQX.
        topics = compile(next);
      },
      async stop(): Promise<void> {
        unhook();
      },
      status: () => ({ state: 'running' }),
    };
  },
};
