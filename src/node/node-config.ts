/**
 * The node config: only what is truly per machine. Mirrors `schemas/node/v1.json`.
 * Sources, lowest precedence first: schema defaults, the HOCON file (`-c`), `MODMQ_*`
 * environment variables, CLI flags.
 */
export interface NodeConfig {
  node: {
    name: string;
    data_dir: string;
  };
  listeners: {
    tcp: TcpListenerConfig;
    tls: TlsListenerConfig;
    ws: WsListenerConfig;
    wss: WssListenerConfig;
  };
  api: { bind: string; port: number };
  /** $SYS publishing; optional so hand-built configs (tests) may omit it: default interval 1m. */
  sys?: { interval: string };
  /** MQTT behaviour; optional so hand-built configs (tests) may omit it: default round_robin. */
  mqtt?: {
    shared_subscription_strategy: 'random' | 'round_robin' | 'sticky' | 'hash_clientid' | 'hash_topic';
    /** MQTT 5 limits (mqtt5-limits.ts); optional so older hand-built configs need not name them. */
    receive_maximum?: number;
    max_packet_size?: string;
    max_topic_alias?: number;
    server_keepalive?: number;
  };
  /** Config store backend; absent = sqlite (a single node). */
  cluster?: ClusterConfig;
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent' };
}

export interface TcpListenerConfig {
  enable: boolean;
  bind: string;
  /** 0 = any free port (tests). */
  port: number;
}

export interface TlsOptions {
  certfile: string;
  keyfile: string;
  cafile?: string;
  /** Require and verify client certificates. */
  verify: boolean;
  /** Also accept TLS-PSK handshakes (keys from auth-psk); certfile/keyfile become optional. */
  psk?: boolean;
}

export type TlsListenerConfig = TcpListenerConfig & Partial<TlsOptions>;
export interface WsListenerConfig extends TcpListenerConfig {
  path: string;
}
export type WssListenerConfig = WsListenerConfig & Partial<TlsOptions>;

export type ListenerKind = keyof NodeConfig['listeners'];

export interface ClusterConfig {
  backend: 'sqlite' | 'redis';
  /** Required with backend redis. */
  url?: string;
  name: string;
  /** Membership heartbeat (duration); a silent node disappears after 5 of them. Default 1s. */
  heartbeat?: string;
}
