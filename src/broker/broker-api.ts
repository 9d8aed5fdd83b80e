import type { ClientInfo } from './hooks.js';

/** A message the broker itself publishes (presence events, downlink, gateways). */
export interface InternalMessage {
  topic: string;
  payload: Buffer | string;
  qos: 0 | 1 | 2;
  retain?: boolean;
  /** MQTT 5 publish properties, passed through unchanged. */
  properties?: Record<string, unknown>;
}

/** One subscription to add for a client, with MQTT 5 options (ignored for MQTT 3 clients). */
export interface SubscriptionRequest {
  topic: string;
  qos: 0 | 1 | 2;
  nl?: boolean;
  rap?: boolean;
  rh?: 0 | 1 | 2;
}

/**
 * Message counters of one connected client, for diagnostics (recon). Counted since the
 * connection; `inflight` is QoS 1/2 deliveries not yet acknowledged (PUBACK/PUBCOMP), `queued`
 * the writes waiting for the socket to drain and `queuedBytes` what the socket buffers.
 */
export interface ClientStats {
  clientId: string;
  received: number;
  sent: number;
  inflight: number;
  queued: number;
  queuedBytes: number;
}

/**
 * The internal client API of the broker: what a module may do besides hooks. A module never
 * reaches into aedes; everything goes through here so the pipeline (ACL, rewrite, retained)
 * stays in one place.
 */
export interface BrokerApi {
  readonly nodeName: string;
  /**
   * Publishes as the broker: no ACL check, but topic rewrite, routing and retained storage apply.
   * messagePublish hooks do NOT run (a module re-publishing what it intercepted cannot loop).
   */
  publish(message: InternalMessage): Promise<void>;
  /**
   * Subscribes a connected client as if it had sent SUBSCRIBE: rewrite, ACL and retained
   * delivery apply. Resolves with the granted QoS per request (128 = refused).
   */
  subscribeClient(clientId: string, subscriptions: SubscriptionRequest[]): Promise<number[]>;
  /** Connected clients on this node. */
  clients(): ClientInfo[];
  client(clientId: string): ClientInfo | undefined;
  /** Per-client counters (read-only, computed on call); absent on brokers that do not count. */
  clientStats?(): ClientStats[];
  /**
   * Forgets every cached ACL decision. A module whose answers change without a hook change (rules
   * edited through its API, a hot config update) calls it so the next check asks the chain again.
   */
  flushAclCache(): void;
}
