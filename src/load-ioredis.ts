/**
 * ioredis, loaded on first use rather than when modmq starts: a single node without Redis never
 * loads it. Besides start-up time, this keeps the broker's hot path fast. The `debug` package gives
 * only the first instance created in a process fast (non-dictionary) properties, and ioredis creates
 * several when it loads. If those come first, mqtt-packet's parser instance is no longer first, and
 * its per-packet `debug()` calls allocate (about 5 KB per message in the paced bench, +30% GC).
 * CommonJS `require` keeps the load synchronous for the callers.
 */
import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';

const require = createRequire(import.meta.url);

export function loadIoredis(): typeof IORedis {
  return require('ioredis') as typeof IORedis;
}
