import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { connectedPresence, disconnectedPresence, presenceTopic } from './event-payload.js';

export interface PresenceConfig {
  qos: 0 | 1 | 2;
}

/**
 * presence: publishes a JSON event on `$SYS/brokers/<node>/clients/<clientid>/connected` and
 * `.../disconnected` for every client (EMQX 4.4 emqx_mod_presence). Not retained.
 */
export const presence: ModuleType<PresenceConfig> = {
  type: 'presence',
  family: 'internal',
  schemaVersion: 1,

  async create(ctx: ModuleContext, config: PresenceConfig): Promise<ModuleInstance<PresenceConfig>> {
    let qos = config.qos;
    const node = ctx.broker.nodeName;

    const send = (topic: string, body: object): void => {
      ctx.broker
        .publish({ topic, payload: JSON.stringify(body), qos, retain: false })
        .catch((err: unknown) => ctx.log.warn({ err, topic }, 'presence event not published'));
    };

    const unhooks = [
      ctx.hooks.clientConnected((client) => {
        send(presenceTopic(node, client.clientId, 'connected'), connectedPresence(client, Date.now()));
      }),
      ctx.hooks.clientDisconnected((client, reason) => {
        send(presenceTopic(node, client.clientId, 'disconnected'), disconnectedPresence(client, reason, Date.now()));
      }),
    ];

    return {
      async update(next: PresenceConfig): Promise<void> {
        qos = next.qos;
      },
      async stop(): Promise<void> {
        for (const unhook of unhooks) unhook();
      },
      status: () => ({ state: 'running' }),
    };
  },
};
