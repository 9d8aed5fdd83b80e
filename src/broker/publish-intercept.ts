import type { Aedes, Client, PublishPacket } from 'aedes';
import { stateOf } from './client-state.js';
import type { PublishedMessage } from './hooks.js';
import type { PipelineContext } from './pipeline-context.js';

type Done = (error?: Error | null) => void;
type PublishFn = (packet: PublishPacket, client?: Client | Done | null, done?: Done) => void;

/**
 * Runs the messagePublish chain on every message a client publishes (and on wills), after ACL and
 * rewrite (aedes calls `publish` only after authorizePublish) and before retain handling and
 * routing (both happen inside aedes' publish). Messages the broker publishes itself (BrokerApi,
 * $SYS, aedes' own) carry no client and skip the chain, so a module re-publishing what it
 * intercepted never loops. A 'stop' completes the publish without routing: the client's
 * PUBACK/PUBREC is still written by aedes.
 */
export function interceptPublish(aedes: Aedes, ctx: PipelineContext): void {
  const original = (aedes.publish as unknown as PublishFn).bind(aedes);
  const wrapped: PublishFn = (packet, client, done) => {
    if (typeof client === 'function' || client === undefined || client === null || ctx.hooks.chains.messagePublish.length === 0) {
      original(packet, client, done);
      return;
    }
    if (runMessagePublish(ctx, client, packet) === 'stop') {
      (done ?? noop)(null);
      return;
    }
    original(packet, client, done);
  };
  (aedes as unknown as { publish: PublishFn }).publish = wrapped;
}

function runMessagePublish(ctx: PipelineContext, client: Client, packet: PublishPacket): 'continue' | 'stop' {
  const chain = ctx.hooks.chains.messagePublish;
  const info = stateOf(client)?.info ?? null;
  const message: PublishedMessage = {
    topic: packet.topic,
    payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
    qos: packet.qos,
    retain: packet.retain === true,
    ...(packet.properties ? { properties: packet.properties as Record<string, unknown> } : {}),
  };
  for (let i = 0; i < chain.length; i++) {
    let result: 'continue' | 'stop';
    try {
      result = chain[i]!(info, message);
    } catch (error) {
      // A broken hook must not lose the message: treat it as 'continue'.
      ctx.log.error({ err: error, topic: message.topic }, 'messagePublish hook threw; ignored');
      continue;
    }
    if (result === 'stop') return 'stop';
  }
  return 'continue';
}

function noop(): void {}
