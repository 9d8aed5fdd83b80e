/**
 * CONNACK Session Present as the spec defines it [MQTT-3.2.2-2]: 1 when the client resumes
 * (Clean Start / clean session 0) a session the server still has, whatever it holds.
 *
 * aedes answers 1 only when the stored session has subscriptions, so a persistent session without
 * any (or with only queued state) was reported as new. We keep a record per client id of the
 * sessions that outlive their connection: kept while connected, then until the Session Expiry
 * Interval elapses (v5) or forever (3.1.1 clean session 0); forgotten when a session ends. On a
 * CONNECT that resumes, the record is read before aedes handles it and, when a session exists,
 * the Session Present bit of the success CONNACK is set (byte-level, both versions). aedes' own
 * "present" answer is never turned off: its persistence may know a session this record does not
 * (made on another node, or before a restart).
 *
 * The record is behind SessionRecords (async) so a cluster can keep it in Redis (key per client
 * id, expiring with the session) and any node answers for sessions made on another one.
 */
import type { Aedes, Client, ConnectPacket } from 'aedes';
import type { Duplex } from 'node:stream';
import { stateOf } from './client-state.js';
import { rewriteNextConnack } from './enhanced-auth-connack.js';

/** Where the sessions that outlive their connection are recorded. */
export interface SessionRecords {
  /** Whether a session for this client id exists now. */
  exists(clientId: string): Promise<boolean>;
  /** The session exists until `expiresAt` (ms since epoch; Infinity: until it is ended). */
  keep(clientId: string, expiresAt: number): Promise<void>;
  /** The session ended (clean start, expiry 0, expired, wiped). */
  forget(clientId: string): Promise<void>;
}

/** This node's record (a node alone, or until a shared one is provided). */
export class MemorySessionRecords implements SessionRecords {
  private readonly expiries = new Map<string, number>();
  private sweepAt = 1024;

  async exists(clientId: string): Promise<boolean> {
    const expiresAt = this.expiries.get(clientId);
    if (expiresAt === undefined) return false;
    if (expiresAt > Date.now()) return true;
    this.expiries.delete(clientId);
    return false;
  }

  async keep(clientId: string, expiresAt: number): Promise<void> {
    this.expiries.set(clientId, expiresAt);
    // Expired entries nobody asks about again are dropped now and then.
    if (this.expiries.size >= this.sweepAt) {
      const now = Date.now();
      for (const [id, at] of this.expiries) if (at <= now) this.expiries.delete(id);
      this.sweepAt = Math.max(1024, this.expiries.size * 2);
    }
  }

  async forget(clientId: string): Promise<void> {
    this.expiries.delete(clientId);
  }

  get size(): number {
    return this.expiries.size;
  }
}

/** MQTT 5 "never expires". */
const NEVER_EXPIRES = 0xffffffff;

type SessionClient = Client & { clean?: boolean; sessionExpiryInterval?: number; version?: number };
type PreConnect = (client: Client, packet: ConnectPacket, callback: (error: Error | null, success: boolean) => void) => void;

/**
 * Wires the record into aedes: returns the preConnect to give aedes (reads the record, then runs
 * `next`); keeps the record up to date from aedes' connection events.
 */
export function attachSessionPresent(aedes: Aedes, records: SessionRecords, next: PreConnect, onError: (error: unknown) => void): void {
  const broker = aedes as unknown as { preConnect: PreConnect };
  // The connection that owns each session on this node: a taken-over one must not update it.
  const owners = new Map<string, Client>();

  broker.preConnect = (client, packet, callback) => {
    const clientId = packet.clientId ?? '';
    // 3.1 has no Session Present; a clean start or a new (assigned) id resumes nothing.
    if (packet.clean !== false || clientId === '' || (packet.protocolVersion ?? 4) < 4) {
      next(client, packet, callback);
      return;
    }
    records.exists(clientId).then(
      (exists) => {
        if (exists) rewriteNextConnack(client.conn as unknown as Duplex, markSessionPresent);
        next(client, packet, callback);
      },
      (error: unknown) => {
        // Without the record aedes' own answer stands.
        onError(error);
        next(client, packet, callback);
      },
    );
  };

  aedes.on('client', (client: Client) => {
    const c = client as SessionClient;
    owners.set(client.id, client);
    // A session that ends with this connection replaces (ends) any earlier one.
    const update = c.clean === false ? records.keep(client.id, Infinity) : records.forget(client.id);
    update.catch(onError);
  });

  aedes.on('clientDisconnect', (client: Client) => {
    if (owners.get(client.id) !== client) return;
    owners.delete(client.id);
    // Taken over (here or on another node): the new connection owns the session and its record;
    // the old one's end would overwrite it, after the fact when the new one is on another node.
    if (stateOf(client)?.reason === 'takenover') return;
    const expiresAt = sessionEnd(client as SessionClient);
    const update = expiresAt === undefined ? records.forget(client.id) : records.keep(client.id, expiresAt);
    update.catch(onError);
  });

  // aedes wiped the session (expiry timer, or too many pending sessions). Its cap on delayed wills
  // (reason 'willDelay') publishes a will early but leaves the session alone.
  const ended = (client: Client, info?: { reason?: string }): void => {
    if (info !== undefined && info.reason !== 'sessionExpiry') return;
    if (owners.has(client.id)) return;
    records.forget(client.id).catch(onError);
  };
  aedes.on('sessionExpired' as never, ended);
  aedes.on('sessionLimitReached' as never, ended);
}

/** When the session of a closing connection ends; undefined: now. */
function sessionEnd(client: SessionClient): number | undefined {
  if (client.clean !== false) return undefined;
  // 3.1.1 clean session 0: kept until a clean session ends it.
  if (client.version !== 5) return Infinity;
  const interval = client.sessionExpiryInterval ?? 0;
  if (interval === 0) return undefined;
  return interval >= NEVER_EXPIRES ? Infinity : Date.now() + interval * 1000;
}

/** Sets Session Present on a success CONNACK (flags byte, then return/reason code, in 3.1.1 and 5). */
export function markSessionPresent(packetBytes: Buffer): Buffer {
  // The flags follow the fixed header: type byte and 1-4 bytes of remaining length.
  let flags = 1;
  while (flags < packetBytes.length && (packetBytes[flags]! & 0x80) !== 0) flags++;
  flags++;
  if (packetBytes.length <= flags + 1 || packetBytes[flags + 1] !== 0) return packetBytes;
  const bytes = Buffer.from(packetBytes);
  bytes[flags] = bytes[flags]! | 1;
  return bytes;
}
