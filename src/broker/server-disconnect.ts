/**
 * Server-sent DISCONNECT with a reason code for MQTT 5 clients (MQTT 5 §3.14). aedes already sends
 * 0x8E (session taken over), 0x8B (server shutting down), 0x95 (packet too large) and 0x94 (topic
 * alias invalid); flow-control.ts sends 0x93. What aedes lacks is keep alive: on timeout it only
 * destroys the socket. Its 'keepaliveTimeout' event fires just before that, so the DISCONNECT 0x8D
 * is written there, in one piece (the socket is idle: the client sent nothing for 1.5 keep alives).
 * MQTT 3 clients have no server DISCONNECT and just see the socket close.
 */
import type { Aedes, Client } from 'aedes';
import mqtt from 'mqtt-packet';

export const KEEP_ALIVE_TIMEOUT = 0x8d;
const V5 = { protocolVersion: 5 } as const;

export function disconnectOnKeepaliveTimeout(aedes: Aedes): void {
  aedes.on('keepaliveTimeout', (client: Client) => {
    if (client.version !== 5) return;
    writeDisconnect(client, KEEP_ALIVE_TIMEOUT);
  });
}

/** Writes a DISCONNECT with `reasonCode` on a live v5 connection; closing it is the caller's (or aedes') job. */
export function writeDisconnect(client: Client, reasonCode: number): void {
  const conn = client.conn as unknown as { destroyed?: boolean; writable?: boolean; write(chunk: Buffer): boolean };
  if (conn.destroyed === true || conn.writable === false) return;
  try {
    conn.write(mqtt.generate({ cmd: 'disconnect', reasonCode } as mqtt.IDisconnectPacket, V5));
  } catch {
    // The socket went away meanwhile: nothing left to tell.
  }
}
