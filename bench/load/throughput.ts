/**
 * One pub/sub run: fan-in (P publishers -> 1 subscriber) or fan-out (1 publisher -> S subscribers).
 * Closed loop: at most `window` messages are in flight per subscriber (published, not yet seen),
 * so latency is queueing we chose, not an unbounded backlog. Paced when `rate` > 0. Bounded by
 * message count and time.
 *
 * Every payload carries its send time, a per-publisher sequence and the publisher's index, so a
 * subscriber sees a dropped message as a gap the moment a later one arrives, counts it lost and
 * frees its window slot. Drops at the tail (nothing after them) are written off when the window
 * stays full without progress for STALL_MS.
 */
import { performance } from 'node:perf_hooks';
import { PACKET_PUBLISH } from './frame-scanner.js';
import { Histogram } from './histogram.js';
import { PAYLOAD_PUBLISHER, PAYLOAD_SEQ, PAYLOAD_TIME, publishTemplate, writePuback, type PublishTemplate } from './packets.js';
import { RawClient } from './raw-client.js';
import type { ThroughputJob, ThroughputResult } from './types.js';

const BATCH = 128;
const STALL_MS = 300;
const DRAIN_MS = 500;
const TICK_MS = 20;

interface Publisher {
  client: RawClient;
  template: PublishTemplate;
  nextId: number;
  seq: number;
  blocked: boolean;
}

interface Subscriber {
  client: RawClient;
  delivered: number;
  /** Messages known lost (sequence gaps, stalls): they no longer hold a window slot. */
  skipped: number;
  /** Next expected sequence per publisher. */
  expected: Uint32Array;
  acks: Buffer;
  ackBytes: number;
}

export async function runThroughput(job: ThroughputJob): Promise<ThroughputResult> {
  const fanIn = job.shape === 'fan-in';
  const nPub = fanIn ? job.publishers : 1;
  const nSub = fanIn ? 1 : job.subscribers;
  const subs: Subscriber[] = [];
  const pubs: Publisher[] = [];
  const all: RawClient[] = [];
  try {
    for (let i = 0; i < nSub; i++) {
      const client = await RawClient.open(job.host, job.subscriberPort ?? job.port, `bench-${job.runId}-s${i}`);
      all.push(client);
      await client.subscribe(fanIn ? 'bench/in/+' : 'bench/out', job.qos);
      subs.push({ client, delivered: 0, skipped: 0, expected: new Uint32Array(nPub), acks: Buffer.allocUnsafe(64 * 1024), ackBytes: 0 });
    }
    for (let i = 0; i < nPub; i++) {
      const client = await RawClient.open(job.host, job.port, `bench-${job.runId}-p${i}`);
      all.push(client);
      const topic = fanIn ? `bench/in/${i}` : 'bench/out';
      pubs.push({ client, template: publishTemplate(topic, job.qos, job.payloadBytes, i), nextId: 1, seq: 0, blocked: false });
    }
    return await drive(job, pubs, subs);
  } finally {
    for (const client of all) client.destroy();
  }
}

function drive(job: ThroughputJob, pubs: Publisher[], subs: Subscriber[]): Promise<ThroughputResult> {
  const histogram = new Histogram();
  const cpuStart = process.cpuUsage();
  const tStart = performance.now();
  let tWarm = tStart + job.warmupMs;
  let sent = 0;
  let sentAfterWarm = 0;
  let delivered = 0;
  let deliveredAfterWarm = 0;
  let lost = 0;
  let stalls = 0;
  let tLastSent = tStart;
  let tLastDelivery = tStart;
  let publishing = true;
  let pumping = false;
  let pubCursor = 0;

  /** Largest number of messages any subscriber still waits for. */
  const inFlight = (): number => {
    let max = 0;
    for (const s of subs) {
      const n = sent - s.delivered - s.skipped;
      if (n > max) max = n;
    }
    return max;
  };

  const pump = (): void => {
    if (!publishing || pumping) return;
    pumping = true;
    try {
      const now = performance.now();
      if (sent >= job.maxMessages || now - tStart >= job.maxMs) {
        publishing = false;
        return;
      }
      let allowed = job.window - inFlight();
      if (job.rate > 0) allowed = Math.min(allowed, Math.floor(((now - tStart) * job.rate) / 1000) - sent);
      allowed = Math.min(allowed, job.maxMessages - sent);
      let idle = 0;
      while (allowed > 0 && idle < pubs.length) {
        const pub = pubs[pubCursor] as Publisher;
        pubCursor = (pubCursor + 1) % pubs.length;
        if (pub.blocked) {
          idle++;
          continue;
        }
        idle = 0;
        const k = Math.min(allowed, BATCH, Math.ceil(allowed / pubs.length));
        writeBatch(pub, k, now);
        sent += k;
        if (now >= tWarm) sentAfterWarm += k;
        allowed -= k;
        tLastSent = now;
      }
    } finally {
      pumping = false;
    }
  };

  const writeBatch = (pub: Publisher, k: number, now: number): void => {
    const { bytes, messageIdOffset, payloadOffset } = pub.template;
    const len = bytes.length;
    const batch = Buffer.allocUnsafe(len * k);
    for (let i = 0, off = 0; i < k; i++, off += len) {
      bytes.copy(batch, off);
      // All messages of a batch leave in one write, so they share one send time.
      batch.writeDoubleLE(now, off + payloadOffset + PAYLOAD_TIME);
      batch.writeUInt32LE(pub.seq, off + payloadOffset + PAYLOAD_SEQ);
      pub.seq = (pub.seq + 1) >>> 0;
      if (messageIdOffset >= 0) {
        batch.writeUInt16BE(pub.nextId, off + messageIdOffset);
        pub.nextId = pub.nextId === 65535 ? 1 : pub.nextId + 1;
      }
    }
    if (!pub.client.socket.write(batch)) {
      pub.blocked = true;
      pub.client.socket.once('drain', () => {
        pub.blocked = false;
        pump();
      });
    }
  };

  for (const sub of subs) {
    sub.client.onFrame = (header, buf, start) => {
      if (header >> 4 !== PACKET_PUBLISH) return;
      const qos = (header >> 1) & 3;
      let p = start + 2 + buf.readUInt16BE(start);
      if (qos > 0) {
        if (sub.ackBytes + 4 > sub.acks.length) flushAcks(sub);
        writePuback(sub.acks, sub.ackBytes, buf.readUInt16BE(p));
        sub.ackBytes += 4;
        p += 2;
      }
      const sentAt = buf.readDoubleLE(p + PAYLOAD_TIME);
      const seq = buf.readUInt32LE(p + PAYLOAD_SEQ);
      const publisher = buf.readUInt16LE(p + PAYLOAD_PUBLISHER);
      const expected = sub.expected[publisher] ?? 0;
      if (seq > expected) {
        // A gap: the broker dropped these (in-order delivery per publisher is an MQTT promise).
        lost += seq - expected;
        sub.skipped += seq - expected;
      }
      if (seq >= expected) sub.expected[publisher] = seq + 1;
      const now = performance.now();
      sub.delivered++;
      delivered++;
      tLastDelivery = now;
      if (sentAt >= tWarm) {
        deliveredAfterWarm++;
        histogram.recordUs((now - sentAt) * 1000);
      }
    };
    sub.client.onChunkEnd = () => {
      if (sub.ackBytes > 0) flushAcks(sub);
      pump();
    };
  }

  return new Promise<ThroughputResult>((resolve, reject) => {
    let lastProgress = performance.now();
    let lastDelivered = 0;
    let publishEnd = 0;
    // Paced runs need a finer clock than the bookkeeping tick, or messages leave in bursts.
    const pacer = job.rate > 0 ? setInterval(pump, 1) : undefined;
    const finish = (): void => {
      clearInterval(timer);
      clearInterval(pacer);
    };
    const timer = setInterval(() => {
      const now = performance.now();
      const failed = [...pubs.map((p) => p.client), ...subs.map((s) => s.client)].find((c) => c.closedWith !== null);
      if (failed !== undefined) {
        finish();
        reject(failed.closedWith ?? new Error('connection lost'));
        return;
      }
      if (delivered !== lastDelivered) {
        lastDelivered = delivered;
        lastProgress = now;
      }
      if (publishing) {
        if (inFlight() >= job.window && now - lastProgress > STALL_MS) {
          // Tail drops: nothing later will arrive to reveal the gap. Write them off and go on.
          stalls++;
          for (const s of subs) s.skipped = sent - s.delivered;
          lastProgress = now;
        }
        pump();
        if (sent >= job.maxMessages || now - tStart >= job.maxMs) publishing = false;
        return;
      }
      if (publishEnd === 0) publishEnd = now;
      const complete = delivered + lost >= sent * subs.length;
      if (!complete && now - lastProgress < DRAIN_MS && now - publishEnd < DRAIN_MS * 2) return;
      finish();
      resolve(result());
    }, TICK_MS);
    pump();
  });

  function result(): ThroughputResult {
    const elapsed = performance.now() - tStart;
    const cpu = process.cpuUsage(cpuStart);
    // A run too short for the warm-up (tiny counts): count it whole rather than report nothing.
    let pubCount = sentAfterWarm;
    let delCount = deliveredAfterWarm;
    if (sentAfterWarm < sent * 0.1) {
      tWarm = tStart;
      pubCount = sent;
      delCount = delivered;
    }
    const pubSeconds = Math.max(tLastSent - tWarm, 1) / 1000;
    const delSeconds = Math.max(tLastDelivery - tWarm, 1) / 1000;
    return {
      kind: 'throughput',
      'published/s': Math.round(pubCount / pubSeconds),
      'delivered/s': Math.round(delCount / delSeconds),
      p50_ms: round3(histogram.quantileUs(0.5) / 1000),
      p99_ms: round3(histogram.quantileUs(0.99) / 1000),
      max_ms: round3(histogram.max / 1000),
      published: sent,
      delivered,
      // Gaps seen plus whatever never arrived at all.
      lost: Math.max(lost, sent * subs.length - delivered),
      stalls,
      loadgen_cpu_pct: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 100),
      elapsed_ms: Math.round(elapsed),
    };
  }
}

function flushAcks(sub: Subscriber): void {
  // Copy out: the scratch buffer is reused while the socket may still hold the previous write.
  sub.client.socket.write(Buffer.from(sub.acks.subarray(0, sub.ackBytes)));
  sub.ackBytes = 0;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
