import type { Aedes, PublishPacket, Subscription } from 'aedes';
import { notFound } from '../errors.js';
import type { BrokerApi, ClientStats, InternalMessage, SubscriptionRequest } from './broker-api.js';
import type { ClientInfo } from './hooks.js';
import type { PipelineContext } from './pipeline-context.js';
import { rewriteTopic } from './rewrite.js';
import { isValidTopicName } from './topic.js';

/** The BrokerApi modules get: publish as the broker, subscribe a client through the normal path. */
export function createInternalApi(nodeName: string, aedes: Aedes, ctx: PipelineContext, flushAclCache: () => void): BrokerApi {
  return {
    flushAclCache,

    nodeName,

    publish(message: InternalMessage): Promise<void> {
      // Broker-internal: no ACL, but rewrite and routing (retained, offline queues) apply.
      const topic = rewriteTopic(ctx, null, 'publish', message.topic);
      if (!isValidTopicName(topic)) return Promise.reject(new Error(`invalid topic name: ${JSON.stringify(topic)}`));
      const packet = {
        cmd: 'publish',
        topic,
        payload: typeof message.payload === 'string' ? Buffer.from(message.payload) : message.payload,
        qos: message.qos,
        retain: message.retain === true,
        dup: false,
        ...(message.properties ? { properties: message.properties } : {}),
      } as PublishPacket;
      return new Promise((resolve, reject) => aedes.publish(packet, (error) => (error ? reject(error) : resolve())));
    },

    async subscribeClient(clientId: string, requests: SubscriptionRequest[]): Promise<number[]> {
      const state = ctx.clients.get(clientId);
      if (state === undefined || state.client.closed) throw notFound('MODMQ_NOT_FOUND', `client ${clientId} is not connected`);
      if (requests.length === 0) return [];
      const v5 = state.info.protoVer === 5;
      // One subscription object per topic (the last request wins, as in a SUBSCRIBE packet).
      const byTopic = new Map<string, Subscription>();
      for (const r of requests) {
        const sub = (v5 ? { topic: r.topic, qos: r.qos, nl: r.nl ?? false, rap: r.rap ?? false, rh: r.rh ?? 0 } : { topic: r.topic, qos: r.qos }) as Subscription;
        byTopic.delete(r.topic);
        byTopic.set(r.topic, sub);
      }
      const subscriptions = [...byTopic.values()];
      // Client.subscribe runs aedes' SUBSCRIBE handler: our authorizeSubscribe (rewrite + ACL),
      // persistence for sessions and retained delivery. No SUBACK is written (no messageId).
      await new Promise<void>((resolve, reject) =>
        state.client.subscribe({ subscriptions }, (error) => (error ? reject(error) : resolve())),
      );
      // aedes stores the granted code on each subscription right after calling back.
      return requests.map((r) => {
        const granted = byTopic.get(r.topic)!.qos as number;
        return granted >= 0x80 ? 128 : granted;
      });
    },

    clients(): ClientInfo[] {
      const out: ClientInfo[] = [];
      for (const state of ctx.clients.values()) out.push(state.info);
      return out;
    },

    client(clientId: string): ClientInfo | undefined {
      return ctx.clients.get(clientId)?.info;
    },

    clientStats(): ClientStats[] {
      const out: ClientStats[] = [];
      for (const state of ctx.clients.values()) {
        const c = state.client as unknown as { _pendingDrains?: unknown[]; conn?: { writableLength?: number } };
        out.push({
          clientId: state.info.clientId,
          received: state.received,
          sent: state.sent,
          inflight: Math.max(0, state.qosSent - state.acked),
          queued: c._pendingDrains?.length ?? 0,
          queuedBytes: c.conn?.writableLength ?? 0,
        });
      }
      return out;
    },
  };
}
