/**
 * `modmq cluster import-from-sqlite`: a single node's held delayed messages (its SQLite file)
 * into the cluster's Redis queue, in the layout RedisDelayedStore reads. Messages keep their ids
 * when the cluster's id counter is below them (an empty Redis), else they get new ones after it;
 * the release owner is told (the `added` channel) so it re-arms its timer. With --force, messages
 * Redis already holds stay and the node's are added.
 */
import type { Redis } from 'ioredis';
import { readSqlite, type ModuleDataCopy } from '../../cluster/module-data-copy.js';
import { toMessage, type DelayedMessage, type DelayedRow } from './delayed-store.js';
import { encodeMessage, member } from './redis-delayed-store.js';

export function readDelayedFile(file: string): DelayedMessage[] {
  return readSqlite(file, 'delayed', (db) => (db.prepare('SELECT * FROM delayed ORDER BY id').all() as DelayedRow[]).map(toMessage));
}

/** The ids the messages get in Redis: their own when all are above the counter, else counter + 1... */
export function assignIds(messages: readonly DelayedMessage[], counter: number): number[] {
  if (messages.every((m) => m.id > counter)) return messages.map((m) => m.id);
  return messages.map((_m, i) => counter + i + 1);
}

export function delayedCopy(messages: DelayedMessage[], prefix: string): ModuleDataCopy {
  const keys = { ids: `${prefix}ids`, queue: `${prefix}queue`, inflight: `${prefix}inflight`, msgs: `${prefix}msgs`, meta: `${prefix}meta`, added: `${prefix}added` };
  return {
    counts: { messages: messages.length },
    async held(redis: Redis): Promise<number> {
      const [queued, claimed] = await Promise.all([redis.zcard(keys.queue), redis.zcard(keys.inflight)]);
      return queued + claimed;
    },
    async write(redis: Redis): Promise<boolean> {
      await redis.watch(keys.ids);
      const counter = Number((await redis.get(keys.ids)) ?? '0');
      const ids = assignIds(messages, counter);
      const tx = redis.multi();
      messages.forEach((m, i) => {
        const name = member(ids[i]!);
        tx.hset(keys.msgs, name, encodeMessage(m));
        tx.hset(keys.meta, name, `${m.publishAt} ${m.topic}`);
        tx.zadd(keys.queue, m.publishAt, name);
        tx.zadd(`${prefix}topic:${m.topic}`, m.publishAt, name);
      });
      // reduce, not Math.max(...): a long queue would overflow the argument list.
      tx.set(keys.ids, String(ids.reduce((a, b) => Math.max(a, b), counter)));
      if (messages.length > 0) tx.publish(keys.added, String(messages.reduce((a, m) => Math.min(a, m.publishAt), Infinity)));
      return (await tx.exec()) !== null;
    },
  };
}
