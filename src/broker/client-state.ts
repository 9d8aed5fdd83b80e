import type { Client, ConnectPacket } from 'aedes';
import type { AclCache } from './acl-cache.js';
import type { ClientInfo } from './hooks.js';
import type { ConnMeta } from './listeners/listener-types.js';

const STATE = Symbol('modmq.client');
const CONNECT = Symbol('modmq.connect');
const META = Symbol('modmq.conn');

/** Our per-client record: the ClientInfo modules see plus what the pipelines need. Kept small. */
export class ClientState {
  /** Created on the first ACL decision worth caching. */
  cache: AclCache | undefined = undefined;
  /** EMQX-style disconnect reason decided before the socket closes (takenover, kicked, ...). */
  reason: string | undefined = undefined;
  /** Diagnostics counters (recon): PUBLISH received, deliveries, QoS>0 deliveries, their acks. */
  received = 0;
  sent = 0;
  qosSent = 0;
  acked = 0;

  constructor(
    readonly info: ClientInfo,
    readonly client: Client,
  ) {}
}

type Tagged = { [STATE]?: ClientState; [CONNECT]?: ConnectPacket | undefined };
type TaggedConn = { [META]?: ConnMeta };

export function stateOf(client: Client | null | undefined): ClientState | undefined {
  return client ? (client as unknown as Tagged)[STATE] : undefined;
}

export function attachState(client: Client, state: ClientState): void {
  (client as unknown as Tagged)[STATE] = state;
}

/** Keeps the CONNECT packet between aedes' preConnect and authenticate. */
export function rememberConnect(client: Client, packet: ConnectPacket | undefined): void {
  (client as unknown as Tagged)[CONNECT] = packet;
}

export function connectOf(client: Client): ConnectPacket | undefined {
  return (client as unknown as Tagged)[CONNECT];
}

export function attachMeta(conn: object, meta: ConnMeta): void {
  (conn as TaggedConn)[META] = meta;
}

export function metaOfConn(conn: object): ConnMeta | undefined {
  return (conn as TaggedConn)[META];
}
