/**
 * The broker's extension points as modules see them. Each kind of hook is a chain; entries run in
 * the order of their module in the cluster document (the runtime keeps that order, so a hot update
 * or a restart never reorders the auth chain). Registering returns an {@link Unhook}; the runtime
 * also removes every hook of an instance when it stops, so a module cannot leak one.
 */

export type Unhook = () => void;

/** What the broker knows about a connected (or connecting) client. Kept small: one per client. */
export interface ClientInfo {
  clientId: string;
  username: string | undefined;
  /** Peer IP without port. */
  peerHost: string;
  peerPort: number;
  /** Local port of the listener the client came in on. */
  sockPort: number;
  /** Listener name from the node config (`tcp`, `ws`, ...). */
  listener: string;
  protoName: string;
  /** 3 = MQTT 3.1, 4 = 3.1.1, 5 = 5.0. */
  protoVer: number;
  keepalive: number;
  cleanStart: boolean;
  /** Session expiry interval in seconds (0 for MQTT 3 clean sessions). */
  expiryInterval: number;
  /** Epoch ms. */
  connectedAt: number;
  /** Set by an auth module that answered allow with superuser. */
  superuser: boolean;
  /**
   * The client's mountpoint (`%c`/`%u` already expanded), granted by the auth module that allowed
   * it; absent when none. Topics the client uses are routed under this prefix (see mountpoint.ts).
   */
  mountpoint?: string;
}

export interface ConnectRequest {
  client: ClientInfo;
  password: Buffer | undefined;
}

export type AuthDecision =
  /**
   * mountpoint: a topic prefix for this client (EMQX `mountpoint`; `%c` client id and `%u`
   * username are expanded at connect, left as is when undefined). Empty = none.
   */
  | { result: 'allow'; superuser?: boolean; mountpoint?: string }
  /** reasonCode: MQTT 5 CONNACK reason (0x86 bad credentials, 0x87 not authorized); mapped to 3.1.1. */
  | { result: 'deny'; reasonCode?: number; reason?: string }
  | { result: 'ignore' };

export type AclAction = 'publish' | 'subscribe';

export type AclDecision = { result: 'allow' } | { result: 'deny'; reason?: string } | { result: 'ignore' };

export type MaybePromise<T> = T | Promise<T>;

export type AuthenticateHook = (request: ConnectRequest) => MaybePromise<AuthDecision>;
export type AuthorizeHook = (client: ClientInfo, action: AclAction, topic: string) => MaybePromise<AclDecision>;
/**
 * Synchronous on purpose: it runs on the publish hot path. Returns the topic to use (the same
 * string when nothing changes). `client` is null for messages published by the broker itself.
 */
export type RewriteTopicHook = (client: ClientInfo | null, action: AclAction, topic: string) => string;
export type ClientConnectedHook = (client: ClientInfo) => void;
/** `reason` follows EMQX: normal, tcp_closed, kicked, discarded, takenover, keepalive_timeout, ... */
export type ClientDisconnectedHook = (client: ClientInfo, reason: string) => void;

/** A message on its way from a publisher (or a will) to the router. */
export interface PublishedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  /** MQTT 5 publish properties, as received. */
  properties?: Record<string, unknown>;
}
/**
 * A 'stop' that tells an MQTT 5 publisher why: for QoS 1/2 the PUBACK/PUBREC carries `reasonCode`
 * (e.g. 0x90 Topic Name invalid, 0x97 Quota exceeded, 0x80 Unspecified error; 0x10 No matching
 * subscribers for a success) and `reason` as Reason String unless the client set Request Problem
 * Information = 0. QoS 0 and MQTT 3 publishers: the same as a plain 'stop'. A reasonCode of 0 is a
 * plain 'stop'; a code that is not a PUBACK reason code is sent as 0x80.
 */
export interface MessagePublishStop {
  stop: true;
  reasonCode: number;
  reason?: string;
  /**
   * The refusal is temporary (a store is down or timed out), so the same message may be taken
   * later. MQTT 3 has no reason code: when the chain ran before the ack (see
   * {@link MessagePublishOptions}) an MQTT 3 QoS 1/2 publisher is disconnected without its
   * PUBACK/PUBREC, so its session sends the message again (MQTT 3.1.1 4.4); otherwise it is acked and
   * the message dropped, as any stop. MQTT 5 publishers just get `reasonCode`.
   */
  transient?: boolean;
}
export type MessagePublishResult = 'continue' | 'stop' | MessagePublishStop;

/**
 * Runs after ACL, the mountpoint and topic rewrite, before retain handling and routing. 'stop': the broker neither
 * stores nor routes the message (the client still gets its PUBACK/PUBREC, with success unless the
 * hook answered a {@link MessagePublishStop}). The first stop ends the chain. Synchronous: hot path;
 * a Promise is for the rare message that must be stored elsewhere before it is acknowledged (see
 * {@link MessagePublishOptions}); the publisher's later packets wait behind it, and a rejection
 * counts as 'continue', as a throw does.
 * Messages published through `BrokerApi.publish` do NOT run this chain (so a module that
 * re-publishes what it intercepted cannot loop); `client` is null for wills of unknown clients.
 */
export type MessagePublishHook = (client: ClientInfo | null, message: PublishedMessage) => MessagePublishResult | Promise<MessagePublishResult>;

export interface MessagePublishOptions {
  /**
   * The hook may answer a Promise. The broker then runs the chain before acknowledging every QoS 1/2
   * publish, MQTT 3 ones too (MQTT 5 ones always are), so the PUBACK/PUBREC waits for the answer and
   * a {@link MessagePublishStop.transient} refusal can disconnect an MQTT 3 publisher. Without it a
   * Promise is still awaited, but an MQTT 3 QoS 1 publisher has had its PUBACK already.
   */
  mayWait?: boolean;
}

/** A retained message as the retained store keeps it. */
export interface RetainedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  properties?: Record<string, unknown>;
  /** Epoch ms. */
  storedAt: number;
  /** Epoch ms; absent = never expires. */
  expiresAt?: number;
}
/**
 * The store behind retained messages; at most one (the retainer module's; if several register, the
 * first in module order is used). Without one, the retain flag is ignored: nothing is stored or
 * served (as EMQX without its retainer). The broker calls `store` for a retained publish with a
 * payload and `remove` for one with an empty payload; `match` gets a topic filter (wildcards,
 * never a shared-subscription prefix) and must not return expired messages.
 */
export interface RetainedStore {
  store(message: RetainedMessage): void;
  remove(topic: string): void;
  match(filter: string): RetainedMessage[];
}

/**
 * TLS-PSK: the key for a PSK identity offered in a TLS handshake on a listener that accepts PSK.
 * Synchronous (node:tls asks synchronously). The first hook returning a key wins; none: handshake fails.
 */
export type PskLookupHook = (identity: string, listener: string) => Buffer | undefined;

/** One step of an MQTT 5 enhanced authentication exchange, as the method's handler answers it. */
export type EnhancedAuthStep =
  /** Send AUTH 0x18 (continue) with this Authentication Data and wait for the client's next AUTH. */
  | { result: 'continue'; data: Buffer }
  /** Done: CONNACK 0x00 (or AUTH 0x00 on re-auth) carrying `data` (e.g. the SCRAM server-final). */
  | { result: 'allow'; data?: Buffer; superuser?: boolean; username?: string }
  /** CONNACK (or DISCONNECT on re-auth) with reasonCode (default 0x87 not authorized). */
  | { result: 'deny'; reasonCode?: number; reason?: string };

/** One client's exchange: `step` gets the client's Authentication Data, first from CONNECT or AUTH 0x19. */
export interface EnhancedAuthSession {
  step(data: Buffer | undefined): MaybePromise<EnhancedAuthStep>;
}

export interface EnhancedAuthRequest {
  /** The Authentication Method of the CONNECT (or of the re-authenticating AUTH). */
  method: string;
  client: ClientInfo;
  /** true for AUTH 0x19 while connected. */
  reauth: boolean;
}

/**
 * MQTT 5 enhanced authentication (AUTH packets). A hook returns a session for a method it serves,
 * undefined otherwise (next hook). No hook serving the method: CONNACK 0x8C bad authentication method.
 * A client allowed here skips the authenticate chain.
 */
export type EnhancedAuthHook = (request: EnhancedAuthRequest) => EnhancedAuthSession | undefined;

/** The hook registration surface a module instance gets in its context. */
export interface ModuleHooks {
  authenticate(hook: AuthenticateHook): Unhook;
  authorize(hook: AuthorizeHook): Unhook;
  rewriteTopic(hook: RewriteTopicHook): Unhook;
  clientConnected(hook: ClientConnectedHook): Unhook;
  clientDisconnected(hook: ClientDisconnectedHook): Unhook;
  messagePublish(hook: MessagePublishHook, options?: MessagePublishOptions): Unhook;
  retainedStore(store: RetainedStore): Unhook;
  pskLookup(hook: PskLookupHook): Unhook;
  enhancedAuth(hook: EnhancedAuthHook): Unhook;
}

/** A module instance's hooks, removable all at once. */
export interface HookScope extends ModuleHooks {
  dispose(): void;
}

/** Owned by the broker; the module runtime hands each instance a scope and keeps the order. */
export interface HookRegistry {
  scope(moduleId: string): HookScope;
  /** Chains run in this order (the cluster document's module order); unknown ids run last. */
  setOrder(moduleIds: readonly string[]): void;
}
