import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { BrokerApi } from '../../src/broker/broker-api.js';
import type { HookRegistry } from '../../src/broker/hooks.js';
import { createBroker, type Broker } from '../../src/broker/broker.js';
import type { ModuleContext } from '../../src/modules/runtime/module-type.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';
import { listenersConfig } from './mqtt-harness.js';

/**
 * A ModuleContext for driving one module type directly, against the fake broker (unit tests) or a
 * real one (integration tests): anything with the broker's `api` and `hooks`.
 */
export function moduleContext(
  broker: { api: BrokerApi; hooks: HookRegistry },
  id: string,
  metrics: Registry = new Registry(),
): ModuleContext {
  return {
    moduleId: id,
    node: { name: broker.api.nodeName, dataDir: '/nonexistent' },
    dataDir: async () => '/nonexistent',
    log: pino({ level: 'silent' }),
    metrics,
    broker: broker.api,
    hooks: broker.hooks.scope(id),
    expose: () => () => undefined,
  };
}

/** A real broker with only a TCP listener on a free loopback port. */
export async function startTcpBroker(nodeName = 'itest@127.0.0.1'): Promise<{ broker: Broker; url: string }> {
  const broker = await createBroker({
    nodeName,
    log: pino({ level: 'silent' }),
    metrics: new Registry(),
    settings: structuredClone(DEFAULT_SETTINGS),
  });
  const [bound] = await broker.listen(listenersConfig());
  return { broker, url: `mqtt://127.0.0.1:${bound!.port}` };
}
