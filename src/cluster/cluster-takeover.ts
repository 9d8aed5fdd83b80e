/**
 * Session takeover across nodes. When a client connects, its node publishes
 * `$SYS/<node>/new/clients` (payload: client id) through the shared emitter. On every other node
 * this handler, which replaces aedes' own `closeSameClients`:
 *  - ends a local connection with that id, as a takeover on one node does: MQTT 5 DISCONNECT
 *    0x8E (Session taken over), EMQX reason `takenover`, and without touching the session the
 *    new node now owns (aedes' `_takingOver` keeps a v5 session from being wiped or expired);
 *  - cancels a pending session expiry or delayed will for that id, armed here when the client
 *    left this node: the session lives on elsewhere, so this node must not wipe it later.
 */
import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import { stateOf } from '../broker/client-state.js';

const SESSION_TAKEN_OVER = 0x8e;

/** The aedes internals a cross-node takeover uses (all present in aedes 2.0.0-beta.1). */
interface AedesSessions {
  id: string;
  clients: Record<string, Client & { closed: boolean; disconnect(opts: { reasonCode: number }, done: () => void): void }>;
  _takingOver: Set<string>;
  deleteClient(clientId: string): void;
  clearSessionExpiry(clientId: string): void;
  clearDelayedWill(clientId: string): void;
}

export interface TakeoverTarget {
  log: Logger;
}

type Announcement = { topic: string; payload: Buffer | string };

/** The `$SYS/+/new/clients` listener for this node. */
export function remoteSessionHandler(aedes: Aedes, target: TakeoverTarget) {
  const broker = aedes as unknown as AedesSessions;
  return function takeOverRemote(packet: Announcement, done: () => void): void {
    // `$SYS/<node>/new/clients`: node names may not contain `/` (they would break $SYS topics).
    const nodeId = packet.topic.slice(5, packet.topic.indexOf('/', 5));
    if (nodeId === broker.id) return done();
    const clientId = packet.payload.toString();
    broker.clearSessionExpiry(clientId);
    broker.clearDelayedWill(clientId);
    const client = broker.clients[clientId];
    if (client === undefined) return done();
    if (client.closed) {
      broker.deleteClient(clientId);
      return done();
    }
    const state = stateOf(client);
    if (state !== undefined) state.reason = 'takenover';
    target.log.debug({ clientId, node: nodeId }, 'session taken over by another node');
    const localTakeover = broker._takingOver.has(clientId);
    broker._takingOver.add(clientId);
    client.disconnect({ reasonCode: SESSION_TAKEN_OVER }, () => {
      if (!localTakeover) broker._takingOver.delete(clientId);
      done();
    });
  };
}
