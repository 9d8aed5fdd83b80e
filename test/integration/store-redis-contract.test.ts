/**
 * The ConfigStore contract, run against the SQLite store (the reference) and the Redis store (a
 * real redis-server), so both promise exactly the same behaviour.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { openRedisStore } from '../../src/store/redis-store.js';
import { openMemoryStore, openSqliteStore } from '../../src/store/sqlite-store.js';
import { configStoreContract } from '../contract/config-store-contract.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

let dir: string;
let redis: RedisServer;
let files = 0;
let clusters = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modmq-store-contract-'));
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

configStoreContract('sqlite', {
  open: async (options) => openMemoryStore(options),
  openPair: async () => {
    const file = join(dir, `pair-${++files}.db`);
    return [openSqliteStore(file), openSqliteStore(file, { pollIntervalMs: 10 })];
  },
});

configStoreContract('redis', {
  // Each store its own cluster name: one server, separate key spaces.
  open: (options) => openRedisStore({ url: redis.url, name: `c${++clusters}`, ...options }),
  openPair: async () => {
    const name = `c${++clusters}`;
    // The reader's periodic check is slow: it must hear the commit through pub/sub.
    return [await openRedisStore({ url: redis.url, name }), await openRedisStore({ url: redis.url, name, resyncIntervalMs: 60_000 })];
  },
});
