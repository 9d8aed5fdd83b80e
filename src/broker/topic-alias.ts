/**
 * MQTT 5 Topic Alias from server to client (MQTT 5 §3.3.2.3.4). Client-to-server aliases are
 * aedes' (our `mqtt.max_topic_alias` is its `topicAliasMaximum`; an alias of 0 or above it gets
 * DISCONNECT 0x94), except one case it answers with 0x94 too: an empty topic with an alias never
 * set on this connection is a Protocol Error, 0x82 (§3.3.2.3.4) — see unknownInboundAlias.
 *
 * Towards a client that announced a Topic Alias Maximum, each new topic takes the next alias (1..
 * that maximum) and is sent once with topic and alias; later messages on it carry the alias and an
 * empty topic. When the aliases are used up, other topics go out in full. A client with maximum 0
 * (or none, or MQTT 3) never gets an alias. Done in `authorizeForward`, which aedes calls once per
 * delivery just before writing, in write order, on a copy of the message made for this delivery.
 *
 * Not aliased: QoS 1/2 to a persistent session, as aedes stores that packet and may resend it on a
 * later connection, where the alias means nothing.
 */
import type { Aedes, Client } from 'aedes';

const ALIASES = Symbol('modmq.outboundTopicAliases');

interface OutgoingPublish {
  topic: string;
  qos?: number;
  properties?: Record<string, unknown>;
}
type ForwardFn = (client: Client, packet: OutgoingPublish) => OutgoingPublish | null | undefined | false;
type AliasedClient = Client & { [ALIASES]?: OutboundAliases; clean?: boolean };

class OutboundAliases {
  private readonly byTopic = new Map<string, number>();
  /** `{ topicAlias: n }` per alias, shared by the messages that carry no other property. */
  private readonly bare: Array<Readonly<{ topicAlias: number }>> = [];

  constructor(private readonly maximum: number) {}

  apply(packet: OutgoingPublish): void {
    const topic = packet.topic;
    let alias = this.byTopic.get(topic);
    if (alias === undefined) {
      if (this.byTopic.size >= this.maximum) return;
      alias = this.byTopic.size + 1;
      this.byTopic.set(topic, alias);
    } else {
      packet.topic = '';
    }
    // The properties object is shared by every subscriber of the message: never changed in place.
    const properties = packet.properties;
    packet.properties = properties === undefined ? (this.bare[alias] ??= Object.freeze({ topicAlias: alias })) : { ...properties, topicAlias: alias };
  }
}

/** Called with a v5 CONNECT: remembers the client's Topic Alias Maximum for the new connection. */
export function startOutboundAliases(client: Client, connect: { protocolVersion?: number; properties?: { topicAliasMaximum?: number } }): void {
  const maximum = connect.protocolVersion === 5 ? (connect.properties?.topicAliasMaximum ?? 0) : 0;
  if (maximum > 0) (client as AliasedClient)[ALIASES] = new OutboundAliases(Math.min(maximum, 65535));
}

/** Wraps `aedes.authorizeForward` (after the wrappers that may refuse a delivery). */
export function aliasOutgoingTopics(aedes: Aedes): void {
  const target = aedes as unknown as { authorizeForward: ForwardFn };
  const inner = target.authorizeForward;
  target.authorizeForward = function aliasedForward(this: unknown, client, packet) {
    const result = inner.call(this, client, packet);
    const aliases = (client as AliasedClient)[ALIASES];
    if (aliases === undefined || !result) return result;
    if ((result.qos ?? 0) > 0) {
      const c = client as AliasedClient & { subscriptions: Record<string, { qos?: number } | undefined> };
      if (c.clean === false) return result;
      // aedes finds a lower exact-subscription QoS by the topic it writes: keep the topic then.
      const sub = c.subscriptions[result.topic];
      if (sub !== undefined && (sub.qos ?? 0) < (result.qos ?? 0)) return result;
    }
    aliases.apply(result);
    return result;
  };
}

const PROTOCOL_ERROR = 0x82;
type InboundClient = Client & {
  _topicAliases?: Map<number, string>;
  connackSent?: boolean;
  broker: { topicAliasMaximum?: number };
  disconnect(opts: { reasonCode: number }, done?: () => void): void;
};

/**
 * An inbound v5 PUBLISH with an empty topic and an alias in range that this connection never
 * set: DISCONNECT 0x82 and true (the packet must not reach aedes). Everything else: false.
 */
export function unknownInboundAlias(client: Client, packet: { topic?: string; properties?: { topicAlias?: number } }): boolean {
  const alias = packet.properties?.topicAlias;
  if (alias === undefined || packet.topic !== '' || client.version !== 5) return false;
  const c = client as InboundClient;
  // Before CONNACK aedes queues packets, so an alias set by an earlier one is not in its map yet.
  if (c.connackSent !== true) return false;
  const known = c._topicAliases;
  // Out of range is aedes' 0x94; without its alias map we cannot tell, so aedes decides.
  if (known === undefined || alias < 1 || alias > (c.broker.topicAliasMaximum ?? 0) || known.has(alias)) return false;
  c.disconnect({ reasonCode: PROTOCOL_ERROR });
  return true;
}
