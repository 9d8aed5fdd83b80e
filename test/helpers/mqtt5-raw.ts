/** Raw-client shortcuts for the MQTT 5 protocol tests (exact packets, no client-side smarts). */
import { RawMqttClient, type RawPacket } from './raw-mqtt-client.js';

export interface RawSession {
  client: RawMqttClient;
  connack: RawPacket;
}

/** Opens a socket, sends CONNECT and returns the client with the server's CONNACK. */
export async function rawConnect(
  port: number,
  options: { clientId?: string; protocolVersion?: 4 | 5; keepalive?: number; clean?: boolean; properties?: Record<string, unknown> } = {},
): Promise<RawSession> {
  const version = options.protocolVersion ?? 5;
  const client = await RawMqttClient.connectTcp(port, version);
  client.send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: version,
    clean: options.clean ?? true,
    clientId: options.clientId ?? '',
    keepalive: options.keepalive ?? 0,
    ...(options.properties !== undefined ? { properties: options.properties } : {}),
  });
  const connack = await client.next();
  if (connack?.cmd !== 'connack') throw new Error(`expected CONNACK, got ${connack?.cmd ?? 'a closed socket'}`);
  return { client, connack };
}

/** The next packet that is not a PINGRESP; fails on a closed socket. */
export async function nextPacket(client: RawMqttClient): Promise<RawPacket> {
  for (;;) {
    const p = await client.next();
    if (p === undefined) throw new Error('connection closed');
    if (p.cmd !== 'pingresp') return p;
  }
}

/** Subscribes and waits for the SUBACK. */
export async function rawSubscribe(client: RawMqttClient, topic: string, qos: 0 | 1 | 2, messageId = 1): Promise<RawPacket> {
  client.send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
  const ack = await nextPacket(client);
  if (ack.cmd !== 'suback') throw new Error(`expected SUBACK, got ${ack.cmd}`);
  return ack;
}

/** Packets until the server closes the socket (the last one is usually its DISCONNECT). */
export async function packetsUntilClose(client: RawMqttClient): Promise<RawPacket[]> {
  const got: RawPacket[] = [];
  for (;;) {
    const p = await client.next();
    if (p === undefined) return got;
    got.push(p);
  }
}

