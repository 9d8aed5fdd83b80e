import type { Client, PublishPacket, Subscription } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { decideAsync, decideSync } from './acl-decision.js';
import { type ClientState, stateOf } from './client-state.js';
import type { PipelineContext } from './pipeline-context.js';
import { mountFilter, mountTopic, unmountFilter } from './mountpoint.js';
import { rewriteTopic } from './rewrite.js';
import { fromSharedKey, toSharedKey } from './shared-subscriptions-topic.js';

const NOT_AUTHORIZED = 0x87;
// One shared instance: aedes only reads `.message` (v5 reason string).
const DENIED = new Error('not authorized');
const V4 = { protocolVersion: 4 } as const;

type PublishCallback = (error?: Error | null) => void;
type SubscribeCallback = (error: Error | null, subscription?: Subscription | null) => void;

export interface AclHandlers {
  authorizePublish(client: Client | null, packet: PublishPacket, callback: PublishCallback): void;
  authorizeSubscribe(client: Client, subscription: Subscription, callback: SubscribeCallback): void;
}

/**
 * aedes authorizePublish/authorizeSubscribe. Publish: authorize the ORIGINAL topic, then rewrite.
 * Subscribe: rewrite, then authorize. The common case (cache hit or no authorize hooks) is
 * synchronous and allocates nothing.
 */
export function createAclHandlers(ctx: PipelineContext): AclHandlers {
  function publishDecided(client: Client, state: ClientState, packet: PublishPacket, allowed: boolean, callback: PublishCallback): void {
    if (allowed) {
      // EMQX order: ACL saw the original topic; mount, then rewrite the mounted topic (mountpoint.ts).
      const mounted = mountTopic(state.info.mountpoint, packet.topic);
      const topic = ctx.hooks.chains.rewriteTopic.length === 0 ? mounted : rewriteTopic(ctx, state.info, 'publish', mounted);
      if (topic !== packet.topic) packet.topic = topic;
      callback(null);
      return;
    }
    ctx.metrics.dropped.inc();
    ctx.log.debug({ clientId: state.info.clientId, topic: packet.topic }, 'publish denied');
    // A will (client already closed): an error tells aedes not to publish it.
    if (client.closed) return callback(DENIED);
    if (ctx.settings.acl_deny_action === 'disconnect') {
      state.reason = 'not_authorized';
      callback(DENIED);
      // v3 clients are closed by aedes on the error; v5 get a 0x87 PUBACK, then DISCONNECT.
      if (client.version === 5) client.disconnect({ reasonCode: NOT_AUTHORIZED });
      return;
    }
    if (client.version === 5) {
      // aedes answers 0x87 on PUBACK/PUBREC and keeps the connection.
      callback(DENIED);
      return;
    }
    // MQTT 3: drop silently but acknowledge, so the client does not retry forever (EMQX does the same).
    (packet as PublishPacket & { _notAuthorized?: boolean })._notAuthorized = true;
    if (packet.qos > 0 && packet.messageId !== undefined && !client.closed) {
      try {
        mqttPacket.writeToStream({ cmd: packet.qos === 1 ? 'puback' : 'pubrec', messageId: packet.messageId }, client.conn, V4);
      } catch (error) {
        ctx.log.debug({ err: error }, 'could not acknowledge a denied publish');
      }
    }
    callback(null);
  }

  function subscribeDecided(
    client: Client,
    state: ClientState,
    subscription: Subscription,
    topic: string,
    restored: boolean,
    allowed: boolean,
    callback: SubscribeCallback,
  ): void {
    if (allowed) {
      subscription.topic = topic;
      callback(null, subscription);
      return;
    }
    ctx.log.debug({ clientId: state.info.clientId, topic }, 'subscribe denied');
    callback(null, null);
    if (!restored && ctx.settings.acl_deny_action === 'disconnect' && !client.closed) {
      state.reason = 'not_authorized';
      // After the SUBACK went out.
      setImmediate(() => client.disconnect({ reasonCode: NOT_AUTHORIZED }));
    }
  }

  return {
    authorizePublish(client, packet, callback) {
      const state = stateOf(client);
      if (client === null || state === undefined) {
        // Not one of our authenticated clients (e.g. a will swept after restart): broker-side rewrite only.
        const topic = rewriteTopic(ctx, null, 'publish', packet.topic);
        if (topic !== packet.topic) packet.topic = topic;
        callback(null);
        return;
      }
      const quick = decideSync(ctx, state, 'publish', packet.topic);
      if (quick !== undefined) {
        publishDecided(client, state, packet, quick, callback);
        return;
      }
      decideAsync(ctx, state, 'publish', packet.topic, (allowed) => publishDecided(client, state, packet, allowed, callback));
    },

    authorizeSubscribe(client, subscription, callback) {
      const state = stateOf(client);
      if (state === undefined) {
        callback(null, subscription);
        return;
      }
      // Subscriptions restored from a persistent session run before CONNACK; their topic was
      // rewritten when first subscribed, so only the ACL applies again.
      const restored = !client.connected;
      // The ACL sees the unmounted filter; the subscription is made under the mountpoint. A restored
      // one was stored mounted.
      const mountpoint = state.info.mountpoint;
      // A shared subscription (its private key): rewrite, ACL and mount apply to the inner filter.
      const shared = fromSharedKey(subscription.topic);
      const given = shared === undefined ? subscription.topic : shared.shared.filter;
      const aclTopic = restored ? unmountFilter(mountpoint, given) : rewriteTopic(ctx, state.info, 'subscribe', given);
      const mounted = restored ? given : mountFilter(mountpoint, aclTopic);
      const topic = shared === undefined ? mounted : toSharedKey(shared.clientId, { group: shared.shared.group, filter: mounted });
      const quick = decideSync(ctx, state, 'subscribe', aclTopic);
      if (quick !== undefined) {
        subscribeDecided(client, state, subscription, topic, restored, quick, callback);
        return;
      }
      decideAsync(ctx, state, 'subscribe', aclTopic, (allowed) =>
        subscribeDecided(client, state, subscription, topic, restored, allowed, callback),
      );
    },
  };
}
