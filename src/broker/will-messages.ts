/**
 * MQTT 5 will messages on top of aedes, which already delays a will (Will Delay Interval, capped by
 * the session expiry), cancels it on reconnect and honours DISCONNECT 0x04. Two gaps closed here:
 *
 * - The Will Delay Interval is a will property, not a PUBLISH property [3.1.3.2.2]: aedes forwarded
 *   it, and strict clients (mosquitto) close the connection on the malformed PUBLISH. It is removed
 *   from the will as it is published and from the copy kept in persistence (which another node's
 *   will sweep publishes).
 * - A reconnect with Clean Start ends the old session, and a will waits at most until its session
 *   ends [MQTT-3.1.3-9 and 3.1.2.4]: aedes cancelled the pending will instead; it is sent now.
 */
import type { Aedes, Client } from 'aedes';
import type { PipelineContext } from './pipeline-context.js';

interface WillPacket {
  topic: string;
  properties?: Record<string, unknown>;
}
type WillClient = Client & { _cleanStart?: boolean };
interface WillInternals {
  publishWill(client: Client, will: WillPacket): void;
  scheduleWill(client: Client, will: WillPacket, delaySeconds: number): void;
  _finishRegisterClient(client: WillClient): void;
  delayedWills: Map<string, unknown>;
  persistence: { putWill(client: Client, will: WillPacket): Promise<unknown> };
}

/** The will without its Will Delay Interval (the same object when it has none). */
export function withoutWillDelay<T extends WillPacket>(will: T): T {
  const properties = will.properties;
  if (properties === undefined || !('willDelayInterval' in properties)) return will;
  const { willDelayInterval: _dropped, ...rest } = properties;
  return Object.keys(rest).length > 0 ? { ...will, properties: rest } : withoutProperties(will);
}

function withoutProperties<T extends WillPacket>(will: T): T {
  const { properties: _dropped, ...rest } = will;
  return rest as T;
}

export function attachWillMessages(aedes: Aedes, ctx: PipelineContext): void {
  const target = aedes as unknown as WillInternals;
  const publishWill = target.publishWill.bind(aedes);
  const scheduleWill = target.scheduleWill.bind(aedes);
  const finishRegister = target._finishRegisterClient.bind(aedes);
  const putWill = target.persistence.putWill.bind(target.persistence);
  // Delayed wills by client id, so a clean start can send the one its old session left.
  const pending = new Map<string, { client: Client; will: WillPacket }>();

  target.publishWill = (client, will) => {
    pending.delete(client.id);
    publishWill(client, withoutWillDelay(will));
  };
  target.scheduleWill = (client, will, delaySeconds) => {
    scheduleWill(client, will, delaySeconds);
    if (target.delayedWills.has(client.id)) pending.set(client.id, { client, will });
  };
  target._finishRegisterClient = (client) => {
    const waiting = pending.get(client.id);
    pending.delete(client.id);
    if (waiting !== undefined && client._cleanStart === true && target.delayedWills.has(client.id)) {
      ctx.log.debug({ clientId: client.id }, 'clean start ended the session: sending its delayed will');
      // Before aedes registers the new connection (which cancels the timer); the will is the old session's.
      publishWill(waiting.client, withoutWillDelay(waiting.will));
    }
    finishRegister(client);
  };
  // The stored copy must not carry the delay either: it is published as is by a will sweep.
  target.persistence.putWill = (client, will) => putWill(client, withoutWillDelay(will));
}
