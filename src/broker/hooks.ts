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
}

export interface ConnectRequest {
  client: ClientInfo;
  password: Buffer | undefined;
}

export type AuthDecision =
  | { result: 'allow'; superuser?: boolean }
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

/** The hook registration surface a module instance gets in its context. */
export interface ModuleHooks {
  authenticate(hook: AuthenticateHook): Unhook;
  authorize(hook: AuthorizeHook): Unhook;
  rewriteTopic(hook: RewriteTopicHook): Unhook;
  clientConnected(hook: ClientConnectedHook): Unhook;
  clientDisconnected(hook: ClientDisconnectedHook): Unhook;
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
