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
import type { MessagePublishHook, MessagePublishOptions, MessagePublishResult } from '../../src/broker/hooks.js';
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

function rig(hook: MessagePublishHook, options?: MessagePublishOptions): Rig {
  const hooks = new BrokerHookRegistry();
  const r = rigWith(hooks);
  hooks.scope('m').messagePublish((client, message) => {
    r.hookCalls.push(message.topic);
    return hook(client, message);
  }, options);
  return r;
}

/** The stub aedes and clients around a registry whose hooks the caller registers. */
function rigWith(hooks: BrokerHookRegistry): Rig {
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

/** A hook answer the test settles by hand, so it can look at what happened while the hook was busy. */
function deferred(): { promise: Promise<MessagePublishResult>; resolve(r: MessagePublishResult): void; reject(e: Error): void } {
  let resolve!: (r: MessagePublishResult) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<MessagePublishResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const transient = { stop: true as const, reasonCode: 0x80, reason: 'store down', transient: true };

describe('interceptPublish: a hook answering a Promise', () => {
  test('MQTT 5 QoS 1: the ack waits for the answer; a transient refusal is acked with its code, not routed', async () => {
    const answer = deferred();
    const r = rig(() => answer.promise, { mayWait: true });
    const client = r.client(5);
    let settled = false;
    const res = deliver(r, client, packet('slow/x', 1)).then((v) => {
      settled = true;
      return v;
    });
    await tick();
    assert.equal(settled, false, 'aedes is not told to go on (and ack) while the hook is busy');
    answer.resolve(transient);
    assert.equal((await res).published, false);
    assert.deepEqual(summary(await client.acks()), [ack('puback', 7, 0x80, 'store down')]);
    assert.deepEqual(r.routed, []);
    assert.equal(r.dropped, 1);
  });

  test("MQTT 5 QoS 2: 'stop' from a Promise lets aedes ack success; 'continue' runs later hooks and routes", async () => {
    const hooks = new BrokerHookRegistry();
    const calls: string[] = [];
    const answers: MessagePublishResult[] = ['stop', 'continue'];
    hooks.scope('a').messagePublish(async (_c, m) => {
      calls.push(`a:${m.topic}`);
      return answers.shift()!;
    }, { mayWait: true });
    hooks.scope('b').messagePublish((_c, m) => {
      calls.push(`b:${m.topic}`);
      return 'continue';
    });
    const r = rigWith(hooks);
    const client = r.client(5);
    assert.equal((await deliver(r, client, packet('one', 2))).published, true);
    assert.equal((await deliver(r, client, packet('two', 2))).published, true);
    assert.deepEqual(r.routed, ['two']);
    assert.deepEqual(calls, ['a:one', 'a:two', 'b:two']);
    assert.deepEqual(summary(await client.acks()), []);
  });

  test('MQTT 3.1.1 QoS 1 with a mayWait hook: decided before the ack; a transient refusal closes the connection (authorize error), no ack', async () => {
    const r = rig((_c, m) => Promise.resolve(m.topic.startsWith('down/') ? transient : m.topic.startsWith('bad/') ? { stop: true, reasonCode: 0x90 } : 'continue'), { mayWait: true });
    const client = r.client(4);
    const down = await deliver(r, client, packet('down/x', 1));
    assert.ok(down.authorizeError instanceof Error, 'aedes closes an MQTT 3 connection on this error, before any ack');
    assert.equal(down.published, false);
    const bad = await deliver(r, client, packet('bad/x', 1));
    assert.equal(bad.authorizeError, null, 'a permanent refusal: acked by aedes and dropped, as before');
    const ok = await deliver(r, client, packet('ok/x', 2));
    assert.equal(ok.authorizeError, null);
    assert.deepEqual(r.routed, ['ok/x']);
    assert.deepEqual(r.hookCalls, ['down/x', 'bad/x', 'ok/x'], 'each ran the chain once, at authorize time');
    assert.deepEqual(summary(await client.acks()), [], 'the interceptor writes no MQTT 3 ack');
  });

  test('MQTT 3.1.1 QoS 1 without a mayWait hook: the chain runs in publish (after the ack), as before', async () => {
    const r = rig(() => Promise.resolve(transient));
    const client = r.client(4);
    await new Promise((resolve) => r.aedes.authorizePublish(client, packet('down/y', 1), resolve));
    assert.deepEqual(r.hookCalls, [], 'nothing decided at authorize time');
    const res = await deliver(r, client, packet('down/y', 1));
    assert.equal(res.authorizeError, null);
    assert.deepEqual(r.routed, [], 'a stop, whatever its code');
  });

  test('QoS 0 and wills: publish waits for the answer before routing or finishing', async () => {
    const answer = deferred();
    const r = rig(() => answer.promise, { mayWait: true });
    const client = r.client(5, { closed: true });
    let finished = false;
    const done = new Promise<void>((resolve) =>
      r.aedes.publish(packet('will/x', 1), client, () => {
        finished = true;
        resolve();
      }),
    );
    await tick();
    assert.equal(finished, false);
    answer.resolve('continue');
    await done;
    assert.deepEqual(r.routed, ['will/x']);
    const q0 = rig(async () => 'stop' as const, { mayWait: true });
    await deliver(q0, q0.client(4), packet('q0/x', 0));
    assert.deepEqual(q0.routed, []);
  });

  test('a Promise that rejects counts as continue, as a throw does', async () => {
    const r = rig(() => Promise.reject(new Error('broken')), { mayWait: true });
    const client = r.client(5);
    await deliver(r, client, packet('t', 1));
    assert.deepEqual(r.routed, ['t']);
  });

  test('messagePublishMayWait follows the hooks registered with mayWait', () => {
    const hooks = new BrokerHookRegistry();
    const plain = hooks.scope('a').messagePublish(() => 'continue');
    assert.equal(hooks.messagePublishMayWait, false);
    const waiting = hooks.scope('b').messagePublish(() => 'continue', { mayWait: true });
    assert.equal(hooks.messagePublishMayWait, true);
    plain();
    assert.equal(hooks.messagePublishMayWait, true);
    waiting();
    assert.equal(hooks.messagePublishMayWait, false);
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
