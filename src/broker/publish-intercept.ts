import type { Aedes, Client, PublishPacket } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { stateOf } from './client-state.js';
import type { ClientInfo, MessagePublishHook, MessagePublishStop, PublishedMessage } from './hooks.js';
import type { PipelineContext } from './pipeline-context.js';

type Done = (error?: Error | null) => void;
type PublishFn = (packet: PublishPacket, client?: Client | Done | null, done?: Done) => void;
type AuthorizePublishFn = (this: unknown, client: Client | null, packet: PublishPacket, callback: Done) => void;

const DECIDED = Symbol('modmq.messagePublish');
/** `_notAuthorized` is aedes' own flag: its enqueue step then neither acks nor publishes. */
type Decided = PublishPacket & { [DECIDED]?: 'continue' | 'stop'; _notAuthorized?: boolean };
type Persistence = { incomingGetPacket(client: Client, packet: PublishPacket): Promise<unknown> };

/** The chain's verdict; a stop with reason code 0 is folded into 'stop'. */
export type PublishOutcome = 'continue' | 'stop' | MessagePublishStop;

/** Reason codes MQTT 5 allows on PUBACK/PUBREC (3.4.2.1). */
export const PUBACK_REASON_CODES: ReadonlySet<number> = new Set([0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]);
const UNSPECIFIED_ERROR = 0x80;
const V5 = { protocolVersion: 5 } as const;
/** Closes an MQTT 3 publisher's connection (aedes does on an authorizePublish error) without its ack. */
const TRY_AGAIN = new Error('message refused for now (transient failure); the session sends it again');

/**
 * Runs the messagePublish chain on every message a client publishes (and on wills), after ACL and
 * rewrite and before retain handling and routing. Messages the broker publishes itself (BrokerApi,
 * $SYS, aedes' own) carry no client and skip the chain, so a module re-publishing what it
 * intercepted never loops. A 'stop' completes the publish without routing; aedes still writes a
 * success PUBACK/PUBREC.
 *
 * A stop with a reason code must reach the PUBACK, which aedes writes BEFORE it calls publish for
 * QoS 1. So for an MQTT 5 client's QoS 1/2 message the chain runs at the end of authorizePublish
 * (after ACL and rewrite, as before) and its verdict rides on the packet to publish; a refusal is
 * acked here and flagged so aedes skips the message. Everything else runs the chain in publish.
 *
 * A hook may answer a Promise (hooks.ts): the ack then waits for it, and nothing else does (the
 * chain answers synchronously for every other message, no promise is made). While a hook registered
 * with `mayWait` is in the chain, MQTT 3 QoS 1/2 publishes are decided at authorize time too, so
 * their PUBACK/PUBREC waits as well and a transient refusal can close the connection instead.
 */
export function interceptPublish(aedes: Aedes, ctx: PipelineContext): void {
  const original = (aedes.publish as unknown as PublishFn).bind(aedes);
  const wrapped: PublishFn = (packet, client, done) => {
    if (typeof client === 'function' || client === undefined || client === null) {
      original(packet, client, done);
      return;
    }
    let outcome = (packet as Decided)[DECIDED];
    if (outcome === undefined) {
      if (ctx.hooks.chains.messagePublish.length === 0) {
        original(packet, client, done);
        return;
      }
      // QoS 0, MQTT 3 and wills: a reason code has nowhere to go.
      const result = runMessagePublish(ctx, client, packet);
      if (result === 'continue') outcome = 'continue';
      else if (result instanceof Promise) {
        // Settles, never rejects (runChain). aedes' next step (and the client's next packet) waits.
        void result.then((settled) => (settled === 'continue' ? original(packet, client, done) : (done ?? noop)(null)));
        return;
      } else outcome = 'stop';
    }
    if (outcome === 'stop') {
      (done ?? noop)(null);
      return;
    }
    original(packet, client, done);
  };
  (aedes as unknown as { publish: PublishFn }).publish = wrapped;

  const target = aedes as unknown as { authorizePublish: AuthorizePublishFn; persistence: Persistence };
  const authorize = target.authorizePublish;
  target.authorizePublish = function decideEarly(this: unknown, client, packet, callback) {
    // Hot path: only MQTT 5 QoS 1/2 from a live client can carry a reason code back; MQTT 3 QoS 1/2
    // is decided here only while a hook may wait (its ack must wait too).
    if (
      client === null ||
      packet.qos === 0 ||
      (client.version !== 5 && !ctx.hooks.messagePublishMayWait) ||
      ctx.hooks.chains.messagePublish.length === 0
    ) {
      authorize.call(this, client, packet, callback);
      return;
    }
    authorize.call(this, client, packet, (error) => {
      const p = packet as Decided;
      // Denied (aedes answers it), a will (client gone) or dropped by the ACL: not ours.
      if (error || client.closed || p._notAuthorized === true) {
        callback(error);
        return;
      }
      if (packet.qos === 2 && packet.dup === true) {
        // A retransmission of a QoS 2 message aedes already holds: aedes answers PUBREC without
        // publishing, so the chain (and a module's side effects) must not run twice.
        target.persistence.incomingGetPacket(client, packet).then(
          () => callback(null),
          () => decide(ctx, client, p, callback),
        );
        return;
      }
      decide(ctx, client, p, callback);
    });
  };
}

function decide(ctx: PipelineContext, client: Client, packet: Decided, callback: Done): void {
  const outcome = runMessagePublish(ctx, client, packet);
  if (outcome === 'continue' || outcome === 'stop') {
    packet[DECIDED] = outcome;
    callback(null);
    return;
  }
  // A hook is storing the message elsewhere: aedes acks only after it answered.
  if (outcome instanceof Promise) void outcome.then((settled) => decided(ctx, client, packet, settled, callback));
  else decided(ctx, client, packet, outcome, callback);
}

function decided(ctx: PipelineContext, client: Client, packet: Decided, outcome: PublishOutcome, callback: Done): void {
  if (outcome === 'continue' || outcome === 'stop') {
    packet[DECIDED] = outcome;
    callback(null);
    return;
  }
  packet[DECIDED] = 'stop';
  if (client.version !== 5) {
    if (outcome.transient !== true) {
      // MQTT 3 has no reason code: acked and dropped, as a plain stop (the hook logged why).
      callback(null);
      return;
    }
    // No ack would leave the message in flight on the client until it reconnects anyway; a
    // success ack would lose it. So close now without one: a session that survives the
    // disconnect (clean session 0, and MQTT.js whatever the flag) sends the PUBLISH again (3.1.1 4.4).
    ctx.metrics.dropped.inc();
    ctx.log.warn({ clientId: client.id, topic: packet.topic, reason: outcome.reason }, 'publish refused for now; MQTT 3 publisher disconnected without an ack so it sends the message again');
    callback(TRY_AGAIN);
    return;
  }
  packet._notAuthorized = true;
  // Closed while the hook was busy: nothing to answer; flagged so aedes does not keep the message.
  if (!client.closed) acknowledgeRefusal(ctx, client, packet, outcome);
  callback(null);
}

/** Writes the PUBACK/PUBREC with the hook's reason code (and Reason String unless the client opted out). */
function acknowledgeRefusal(ctx: PipelineContext, client: Client, packet: PublishPacket, stop: MessagePublishStop): void {
  const reasonCode = ackReasonCode(stop.reasonCode);
  if (reasonCode !== stop.reasonCode) ctx.log.warn({ reasonCode: stop.reasonCode }, 'messagePublish hook returned a reason code PUBACK cannot carry; sent 0x80');
  if (reasonCode >= UNSPECIFIED_ERROR) ctx.metrics.dropped.inc();
  ctx.log.debug({ clientId: client.id, topic: packet.topic, reasonCode, reason: stop.reason }, 'publish stopped with a reason code');
  const wantsProblemInfo = (client as unknown as { _requestProblemInformation?: boolean })._requestProblemInformation !== false;
  const ack = {
    cmd: packet.qos === 1 ? ('puback' as const) : ('pubrec' as const),
    messageId: packet.messageId ?? 0,
    reasonCode,
    ...(stop.reason !== undefined && stop.reason !== '' && wantsProblemInfo ? { properties: { reasonString: stop.reason } } : {}),
  };
  try {
    mqttPacket.writeToStream(ack as mqttPacket.Packet, client.conn, V5);
  } catch (error) {
    ctx.log.debug({ err: error }, 'could not acknowledge a stopped publish');
  }
}

/** The code to send for a hook's reason code: itself when PUBACK allows it, else 0x80. */
export function ackReasonCode(code: number): number {
  return PUBACK_REASON_CODES.has(code) ? code : UNSPECIFIED_ERROR;
}

/**
 * Runs the chain: the first stop wins and later hooks do not run. A hook that throws counts as
 * 'continue' (a broken hook must not lose the message); a non-object, non-'stop' answer too. A
 * Promise only when a hook answered one; it never rejects (a rejection counts as a throw).
 */
export function runMessagePublish(ctx: PipelineContext, client: Client, packet: PublishPacket): PublishOutcome | Promise<PublishOutcome> {
  const info = stateOf(client)?.info ?? null;
  const message: PublishedMessage = {
    topic: packet.topic,
    payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
    qos: packet.qos,
    retain: packet.retain === true,
  };
  // Assigned, not spread: a spread builds a throwaway object for every message.
  if (packet.properties) message.properties = packet.properties as Record<string, unknown>;
  return runChain(ctx, ctx.hooks.chains.messagePublish, 0, info, message);
}

type Chain = readonly MessagePublishHook[];

function runChain(ctx: PipelineContext, chain: Chain, from: number, info: ClientInfo | null, message: PublishedMessage): PublishOutcome | Promise<PublishOutcome> {
  for (let i = from; i < chain.length; i++) {
    let result: unknown;
    try {
      result = chain[i]!(info, message);
    } catch (error) {
      ctx.log.error({ err: error, topic: message.topic }, 'messagePublish hook threw; ignored');
      continue;
    }
    if (result === 'stop') return 'stop';
    if (typeof result === 'object' && result !== null) {
      if (result instanceof Promise) return settle(ctx, chain, i, info, message, result);
      if ((result as MessagePublishStop).stop === true) return stopOutcome(result as MessagePublishStop);
    }
  }
  return 'continue';
}

/** The rest of the chain after hook `at` answered a Promise (the snapshot it started with). */
async function settle(ctx: PipelineContext, chain: Chain, at: number, info: ClientInfo | null, message: PublishedMessage, pending: Promise<unknown>): Promise<PublishOutcome> {
  let result: unknown;
  try {
    result = await pending;
  } catch (error) {
    ctx.log.error({ err: error, topic: message.topic }, 'messagePublish hook rejected; ignored');
    result = 'continue';
  }
  if (result === 'stop') return 'stop';
  if (typeof result === 'object' && result !== null && (result as MessagePublishStop).stop === true) return stopOutcome(result as MessagePublishStop);
  return runChain(ctx, chain, at + 1, info, message);
}

function stopOutcome(stop: MessagePublishStop): PublishOutcome {
  return typeof stop.reasonCode === 'number' && stop.reasonCode !== 0 ? stop : 'stop';
}

function noop(): void {}
