import type { NodeConfig } from '../node/node-config.js';
import { parseByteSize } from '../modules/retainer/policy.js';

/** The MQTT 5 limits this node advertises in CONNACK and enforces (node config `mqtt.*`). */
export interface Mqtt5Limits {
  /** Unacknowledged inbound QoS 1/2 PUBLISH a v5 client may have; more gets DISCONNECT 0x93. */
  receiveMaximum: number;
  /** Bytes; a larger inbound packet closes the connection (v5: DISCONNECT 0x95). */
  maxPacketSize: number;
  /** Highest client-to-server topic alias; 0 = none. */
  maxTopicAlias: number;
  /** Seconds imposed on every v5 client (CONNACK Server Keep Alive); undefined = the client's own. */
  serverKeepalive?: number;
}

/** EMQX's defaults: max_inflight 32, max_packet_size 1MB, max_topic_alias 65535, server_keepalive disabled. */
export const DEFAULT_MQTT5_LIMITS: Readonly<Mqtt5Limits> = Object.freeze({
  receiveMaximum: 32,
  maxPacketSize: 1024 * 1024,
  maxTopicAlias: 65535,
});

/** Largest packet MQTT can frame: a 4-byte remaining length of 268435455 plus its fixed header. */
const MQTT_MAX_PACKET = 268_435_455 + 5;

/** Node config `mqtt.*` -> limits, with defaults; a value MQTT cannot carry is a clear error. */
export function mqtt5LimitsFromConfig(mqtt: NodeConfig['mqtt']): Mqtt5Limits {
  const limits: Mqtt5Limits = {
    receiveMaximum: mqtt?.receive_maximum ?? DEFAULT_MQTT5_LIMITS.receiveMaximum,
    maxPacketSize: mqtt?.max_packet_size === undefined ? DEFAULT_MQTT5_LIMITS.maxPacketSize : parseByteSize(mqtt.max_packet_size),
    maxTopicAlias: mqtt?.max_topic_alias ?? DEFAULT_MQTT5_LIMITS.maxTopicAlias,
    ...(mqtt?.server_keepalive !== undefined ? { serverKeepalive: mqtt.server_keepalive } : {}),
  };
  checkLimits(limits);
  return limits;
}

export function checkLimits(limits: Mqtt5Limits): void {
  const { receiveMaximum, maxPacketSize, maxTopicAlias, serverKeepalive } = limits;
  if (!Number.isInteger(receiveMaximum) || receiveMaximum < 1 || receiveMaximum > 65535) {
    throw new Error(`mqtt.receive_maximum must be an integer from 1 to 65535, got ${receiveMaximum}`);
  }
  if (!Number.isInteger(maxPacketSize) || maxPacketSize < 64 || maxPacketSize > MQTT_MAX_PACKET) {
    throw new Error(`mqtt.max_packet_size must be from 64B to 256MB, got ${maxPacketSize} bytes`);
  }
  if (!Number.isInteger(maxTopicAlias) || maxTopicAlias < 0 || maxTopicAlias > 65535) {
    throw new Error(`mqtt.max_topic_alias must be an integer from 0 to 65535, got ${maxTopicAlias}`);
  }
  if (serverKeepalive !== undefined && (!Number.isInteger(serverKeepalive) || serverKeepalive < 1 || serverKeepalive > 65535)) {
    throw new Error(`mqtt.server_keepalive must be an integer from 1 to 65535 seconds, got ${serverKeepalive}`);
  }
}

/** The aedes options that carry these limits (aedes advertises them and enforces packet size and aliases). */
export function aedesLimitOptions(limits: Mqtt5Limits): { receiveMaximum: number; maximumPacketSize: number; topicAliasMaximum: number } {
  return { receiveMaximum: limits.receiveMaximum, maximumPacketSize: limits.maxPacketSize, topicAliasMaximum: limits.maxTopicAlias };
}
