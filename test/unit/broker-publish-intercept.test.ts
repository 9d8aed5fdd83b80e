/**
 * interceptPublish against a stub aedes (the two functions it wraps and the persistence call it
 * makes) and a stub client whose socket is a PassThrough: where the messagePublish chain runs,
 * what a stop with a reason code writes on the wire, and the fake broker's view of the new shape.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import type { Aedes, Client, PublishPacket } from 'aedes';
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { pino } from 'pino';
import { BrokerHookRegistry } from '../../src/broker/hook-registry.js';
import type { MessagePublishHook } from '../../src/broker/hooks.js';
import type { PipelineContext } from '../../src/broker/pipeline-context.js';
import { ackReasonCode, interceptPublish, PUBACK_REASON_CODES } from '../../src/broker/publish-intercept.js';
import { createFakeBroker } from '../helpers/fake-broker.js';

type Done = (error?: Error | null) => void;
type Ack = { cmd: string; messageId: number; reasonCode?: number; properties?: { reasonString?: string } };

interface Rig {
  aedes: {
    publish(packet: PublishPacket, client: Client | null, done?: Done): void;
    authorizePublish(client: Client | null, packet: PublishPacket, cb: Done): void;
  };
  routed: string[];
  hookCalls: string[];
  dropped: number;
  /** What authorizePublish's original answers (null = allow). */
  aclError: Error | null;
  /** Message ids the stub persistence already holds (QoS 2 retransmissions). */
  held: Set<number>;
  client(version: number, options?: { problemInfo?: boolean; closed?: boolean }): Client & { acks(): Promise<Ack[]> };
}

function rig(hook: MessagePublishHook): Rig {
  const hooks = new BrokerHookRegistry();
  const r: Rig = {
    routed: [],
    hookCalls: [],
    dropped: 0,
    aclError: null,
    held: new Set(),
    aedes: {
      publish: (packet, _client, done) => {
        r.routed.push(packet.topic);
        done?.(null);
      },
      authorizePublish: (_client, _packet, cb) => cb(r.aclError),
    },
    client(version, options = {}) {
      const conn = new PassThrough();
      const client = {
        id: `c${version}`,
        version,
        closed: options.closed === true,
        conn,
        _requestProblemInformation: options.problemInfo !== false,
        async acks(): Promise<Ack[]> {
          conn.end();
          const parser = mqttPacket.parser({ protocolVersion: 5 });
          const out: Ack[] = [];
          parser.on('packet', (p) => out.push(p as unknown as Ack));
          for await (const chunk of conn) parser.parse(chunk as Buffer);
          return out;
        },
      };
      return client as unknown as Client & { acks(): Promise<Ack[]> };
    },
  };
  (r.aedes as unknown as { persistence: unknown }).persistence = {
    incomingGetPacket: async (_c: Client, p: PublishPacket) => {
      if (!r.held.has(p.messageId ?? -1)) throw new Error('not found');
      return p;
    },
  };
  const ctx = {
    hooks,
    log: pino({ level: 'silent' }),
    metrics: { dropped: { inc: () => r.dropped++ } },
  } as unknown as PipelineContext;
  hooks.scope('m').messagePublish((client, message) => {
    r.hookCalls.push(message.topic);
    return hook(client, message);
  });
  interceptPublish(r.aedes as unknown as Aedes, ctx);
  return r;
}

function packet(topic: string, qos: 0 | 1 | 2, extra: Partial<PublishPacket> = {}): PublishPacket {
  return { cmd: 'publish', topic, payload: Buffer.from('p'), qos, retain: false, dup: false, messageId: 7, ...extra } as PublishPacket;
}

/** aedes' order for a client PUBLISH: authorizePublish, then (unless flagged) publish. */
async function deliver(r: Rig, client: Client, p: PublishPacket): Promise<{ authorizeError: Error | null | undefined; published: boolean }> {
  const authorizeError = await new Promise<Error | null | undefined>((resolve) => r.aedes.authorizePublish(client, p, resolve));
  if (authorizeError || (p as { _notAuthorized?: boolean })._notAuthorized === true) return { authorizeError, published: false };
  await new Promise<void>((resolve) => r.aedes.publish(p, client, () => resolve()));
  return { authorizeError, published: true };
}

const refuse: MessagePublishHook = (_c, m) =>
  m.topic.startsWith('bad/') ? { stop: true, reasonCode: 0x90, reason: 'bad topic' } : m.topic.startsWith('drop/') ? 'stop' : 'continue';

describe('interceptPublish', () => {
  test('MQTT 5 QoS 1: a stop with a reason code is acked with it (and the reason string), flagged, never routed', async () => {
    const r = rig(refuse);
    const client = r.client(5);
    const res = await deliver(r, client, packet('bad/x', 1));
    assert.equal(res.authorizeError, null);
    assert.equal(res.published, false, 'aedes is told to skip the message');
    assert.deepEqual(summary(await client.acks()), [ack('puback', 7, 0x90, 'bad topic')]);
    assert.deepEqual(r.routed, []);
    assert.deepEqual(r.hookCalls, ['bad/x']);
    assert.equal(r.dropped, 1);
  });

  test('MQTT 5 QoS 2: PUBREC carries the code; Request Problem Information = 0 drops the reason string', async () => {
    const r = rig(refuse);
    const client = r.client(5, { problemInfo: false });
    await deliver(r, client, packet('bad/y', 2, { messageId: 9 }));
    assert.deepEqual(summary(await client.acks()), [ack('pubrec', 9, 0x90)]);
    assert.deepEqual(r.routed, []);
  });

  test("MQTT 5 QoS 1: plain 'stop' and 'continue' are decided once, at authorize time; aedes acks as before", async () => {
    const r = rig(refuse);
    const client = r.client(5);
    assert.equal((await deliver(r, client, packet('drop/x', 1))).published, true);
    assert.equal((await deliver(r, client, packet('ok/x', 1))).published, true);
    assert.deepEqual(r.routed, ['ok/x']);
    assert.deepEqual(r.hookCalls, ['drop/x', 'ok/x'], 'each message ran the chain exactly once');
    assert.deepEqual(summary(await client.acks()), [], 'nothing written by the interceptor');
    assert.equal(r.dropped, 0);
  });

  for (const [version, qos] of [
    [4, 1],
    [3, 2],
    [5, 0],
  ] as const) {
    test(`MQTT ${version} QoS ${qos}: a reason-code stop is a plain stop in publish (no ack written, not routed)`, async () => {
      const r = rig(refuse);
      const client = r.client(version);
      const res = await deliver(r, client, packet('bad/z', qos));
      assert.equal(res.published, true, 'aedes goes on and acks success');
      assert.deepEqual(r.routed, []);
      assert.deepEqual(r.hookCalls, ['bad/z']);
      assert.deepEqual(summary(await client.acks()), []);
    });
  }

  test('ACL denial passes through untouched and the chain does not run', async () => {
    const r = rig(refuse);
    r.aclError = new Error('not authorized');
    const client = r.client(5);
    const res = await deliver(r, client, packet('bad/x', 1));
    assert.equal(res.authorizeError, r.aclError);
    assert.deepEqual(r.hookCalls, []);
    assert.deepEqual(summary(await client.acks()), []);
  });

  test('a will (client already closed) runs the chain in publish', async () => {
    const r = rig(refuse);
    const client = r.client(5, { closed: true });
    await deliver(r, client, packet('bad/will', 1));
    assert.deepEqual(r.hookCalls, ['bad/will']);
    assert.deepEqual(r.routed, []);
    assert.deepEqual(summary(await client.acks()), []);
  });

  test('QoS 2 retransmission aedes already holds: the chain does not run again; an unknown one runs it', async () => {
    const r = rig(refuse);
    const client = r.client(5);
    r.held.add(3);
    const held = packet('ok/dup', 2, { messageId: 3, dup: true });
    await new Promise((resolve) => r.aedes.authorizePublish(client, held, resolve));
    assert.deepEqual(r.hookCalls, []);
    await deliver(r, client, packet('ok/new', 2, { messageId: 4, dup: true }));
    assert.deepEqual(r.hookCalls, ['ok/new']);
    assert.deepEqual(r.routed, ['ok/new']);
  });

  test('reason code 0 is a plain stop; a code PUBACK cannot carry is sent as 0x80', async () => {
    const zero = rig(() => ({ stop: true, reasonCode: 0 }));
    const c0 = zero.client(5);
    assert.equal((await deliver(zero, c0, packet('a', 1))).published, true);
    assert.deepEqual(zero.routed, []);
    assert.deepEqual(summary(await c0.acks()), []);

    const odd = rig(() => ({ stop: true, reasonCode: 0x42 }));
    const c1 = odd.client(5);
    await deliver(odd, c1, packet('a', 1));
    assert.deepEqual(summary(await c1.acks()), [ack('puback', 7, 0x80)]);
  });

  test('a hook that throws counts as continue', async () => {
    const r = rig(() => {
      throw new Error('broken');
    });
    const client = r.client(5);
    await deliver(r, client, packet('t', 1));
    assert.deepEqual(r.routed, ['t']);
  });
});

describe('ackReasonCode', () => {
  test('property: every byte maps into the PUBACK set, allowed codes unchanged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (code) => {
        const sent = ackReasonCode(code);
        assert.ok(PUBACK_REASON_CODES.has(sent));
        assert.equal(sent === code, PUBACK_REASON_CODES.has(code));
      }),
    );
  });

  test('property: any allowed code and reason string survive the wire (PUBACK and PUBREC)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...[...PUBACK_REASON_CODES].filter((c) => c !== 0)),
        fc.string({ minLength: 1, maxLength: 200 }),
        fc.constantFrom(1 as const, 2 as const),
        async (reasonCode, reason, qos) => {
          const r = rig(() => ({ stop: true, reasonCode, reason }));
          const client = r.client(5);
          await deliver(r, client, packet('t', qos, { messageId: 11 }));
          assert.deepEqual(summary(await client.acks()), [ack(qos === 1 ? 'puback' : 'pubrec', 11, reasonCode, reason)]);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('fake broker messagePublish', () => {
  test('messagePublishResult returns the first stop as answered; messagePublish folds it into "stop"', () => {
    const fake = createFakeBroker();
    const calls: string[] = [];
    fake.hooks.scope('a').messagePublish((_c, m) => {
      calls.push('a');
      return m.topic === 'x' ? { stop: true, reasonCode: 0x97, reason: 'full' } : 'continue';
    });
    fake.hooks.scope('b').messagePublish(() => {
      calls.push('b');
      return 'continue';
    });
    const m = { topic: 'x', payload: Buffer.alloc(0), qos: 1 as const, retain: false };
    assert.deepEqual(fake.messagePublishResult(null, m), { stop: true, reasonCode: 0x97, reason: 'full' });
    assert.equal(fake.messagePublish(null, m), 'stop');
    assert.deepEqual(calls, ['a', 'a'], 'later hooks do not run after a stop');
    assert.equal(fake.messagePublishResult(null, { ...m, topic: 'y' }), 'continue');
  });
});

interface AckSummary {
  cmd: string;
  messageId: number;
  reasonCode: number | undefined;
  reasonString: string | undefined;
}

function ack(cmd: 'puback' | 'pubrec', messageId: number, reasonCode: number, reasonString?: string): AckSummary {
  return { cmd, messageId, reasonCode, reasonString };
}

/** The fields of what went on the wire, as mqtt-packet parses them. */
function summary(acks: Ack[]): AckSummary[] {
  return acks.map((a) => ({ cmd: a.cmd, messageId: a.messageId, reasonCode: a.reasonCode, reasonString: a.properties?.reasonString }));
}
