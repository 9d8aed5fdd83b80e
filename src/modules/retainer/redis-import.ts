/**
 * `modmq cluster import-from-sqlite`: a single node's retained messages (disc storage, its
 * SQLite file) into the cluster's Redis, in the layout RedisBackend reads. Each message is also
 * announced on the change feed with its sequence number, as the store script does, so nodes
 * already running the retainer apply it (or reload) instead of missing it. Messages already
 * expired stay behind, and so do `$SYS/...` ones: they describe the single node (its name, a
 * broker list without the cluster), and the cluster's nodes publish their own. A topic Redis
 * already holds is replaced (only with --force).
 */
import type { Redis } from 'ioredis';
import type { RetainedMessage } from '../../broker/hooks.js';
import { readSqlite, type ModuleDataCopy } from '../../cluster/module-data-copy.js';
import { fromRow, type RetainedRow } from './disc-backend.js';
import { encodeRetained } from './redis-backend.js';

export interface RetainedContent {
  messages: RetainedMessage[];
  /** Expired by `now`: not copied. */
  expired: number;
  /** `$SYS/...`: not copied. */
  sys: number;
}

export function readRetainedFile(file: string, now: number): RetainedContent {
  return readSqlite(file, 'retained', (db) => {
    const all = (db.prepare('SELECT * FROM retained ORDER BY topic').all() as RetainedRow[]).map(fromRow);
    const own = all.filter((m) => !m.topic.startsWith('$SYS/'));
    const messages = own.filter((m) => m.expiresAt === undefined || m.expiresAt > now);
    return { messages, expired: own.length - messages.length, sys: all.length - own.length };
  });
}

/** The change event the store script publishes: "S<seq> <topic bytes> <topic><record>". */
function storedEvent(seq: number, topic: string, record: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`S${seq} ${Buffer.byteLength(topic)} ${topic}`, 'utf8'), record]);
}

export function retainedCopy(content: RetainedContent, prefix: string): ModuleDataCopy {
  const keys = { msgs: `${prefix}msgs`, exp: `${prefix}exp`, seq: `${prefix}seq`, events: `${prefix}events` };
  return {
    counts: { messages: content.messages.length, expired_skipped: content.expired, sys_skipped: content.sys },
    held: (redis: Redis) => redis.hlen(keys.msgs),
    async write(redis: Redis): Promise<boolean> {
      // The sequence numbers the events carry follow what Redis holds; a change meanwhile aborts.
      await redis.watch(keys.seq);
      const base = Number((await redis.get(keys.seq)) ?? '0');
      const tx = redis.multi();
      content.messages.forEach((m, i) => {
        const record = encodeRetained(m);
        tx.hset(keys.msgs, m.topic, record);
        if (m.expiresAt !== undefined) tx.zadd(keys.exp, m.expiresAt, m.topic);
        else tx.zrem(keys.exp, m.topic);
        tx.publish(keys.events, storedEvent(base + i + 1, m.topic, record));
      });
      tx.set(keys.seq, String(base + content.messages.length));
      return (await tx.exec()) !== null;
    },
  };
}
