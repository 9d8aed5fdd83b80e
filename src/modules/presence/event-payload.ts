import type { ClientInfo } from '../../broker/hooks.js';

/**
 * The JSON bodies of EMQX 4.4 presence events (emqx_mod_presence), field for field.
 * `username` is null when the client sent none (EMQX's JSON encoder writes the atom `undefined`
 * as the string "undefined"; null is what every consumer actually checks for).
 */
export interface CommonPresence {
  clientid: string;
  username: string | null;
  ipaddress: string;
  sockport: number;
  proto_name: string;
  proto_ver: number;
  connected_at: number;
  ts: number;
}

export interface ConnectedPresence extends CommonPresence {
  /** Always 0, kept for 4.4 compatibility ("will be removed in 5.0"). */
  connack: 0;
  keepalive: number;
  clean_start: boolean;
  expiry_interval: number;
}

export interface DisconnectedPresence extends CommonPresence {
  reason: string;
  disconnected_at: number;
}

function common(client: ClientInfo, now: number): CommonPresence {
  return {
    clientid: client.clientId,
    username: client.username ?? null,
    ipaddress: client.peerHost,
    sockport: client.sockPort,
    proto_name: client.protoName,
    proto_ver: client.protoVer,
    connected_at: client.connectedAt,
    ts: now,
  };
}

export function connectedPresence(client: ClientInfo, now: number): ConnectedPresence {
  return {
    ...common(client, now),
    connack: 0,
    keepalive: client.keepalive,
    clean_start: client.cleanStart,
    expiry_interval: client.expiryInterval,
  };
}

export function disconnectedPresence(client: ClientInfo, reason: string, now: number): DisconnectedPresence {
  return { ...common(client, now), reason: reason || 'internal_error', disconnected_at: now };
}

/** `$SYS/brokers/<node>/clients/<clientid>/<event>`, as emqx_topic:systop builds it. */
export function presenceTopic(node: string, clientId: string, event: 'connected' | 'disconnected'): string {
  return `$SYS/brokers/${node}/clients/${clientId}/${event}`;
}
