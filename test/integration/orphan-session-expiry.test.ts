/**
 * The expiry of departed runs' sessions against a real redis-server, rounds driven by hand: one
 * lease holder wipes each due session once; an entry rewritten by a reconnect is left alone; a run
 * that comes back gets its entries back as they were; a run with nothing left is dropped; a stop
 * hands the work to another node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { clusterKeyPrefix } from '../../src/cluster/cluster-context.js';
import { OrphanSessionExpiry } from '../../src/cluster/orphan-session-expiry.js';
import { ExpiryScripts, expiryKeys, parseEntry, type ExpiryKeys } from '../../src/cluster/session-expiry-records.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';

let server: RedisServer;
const connections: Redis[] = [];
before(async () => {
  server = await startRedis();
});
after(async () => {
  for (const c of connections) c.disconnect();
  await server.stop();
});

const log = pino({ level: 'silent' });

function connect(): Redis {
  const c = new Redis(server.url, { maxRetriesPerRequest: 1 });
  c.on('error', () => undefined);
  connections.push(c);
  return c;
}

/** A node of a fresh cluster: its expirer and the sessions it wiped. */
function node(keys: ExpiryKeys, name: string): { expiry: OrphanSessionExpiry; wiped: string[]; run: string } {
  const wiped: string[] = [];
  const run = randomUUID();
  const expiry = new OrphanSessionExpiry({
    scripts: new ExpiryScripts(connect(), keys),
    run,
    nodeName: name,
    heartbeatMs: 1000,
    wipe: async (clientId) => {
      wiped.push(clientId);
    },
    log,
  });
  return { expiry, wiped, run };
}

async function redisNow(redis: Redis): Promise<number> {
  const [s, us] = await redis.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

async function setup(): Promise<{ keys: ExpiryKeys; redis: Redis }> {
  const keys = expiryKeys(clusterKeyPrefix(`t-${randomUUID().slice(0, 8)}`));
  return { keys, redis: connect() };
}

describe('expiry of departed runs', () => {
  test('one holder: a disconnected session due now is wiped at once, a connected one after its interval; then the run is dropped', async () => {
    const { keys, redis } = await setup();
    const a = node(keys, 'a');
    const b = node(keys, 'b');
    await a.expiry.start();
    await b.expiry.start();
    const now = await redisNow(redis);
    await redis.hset(keys.runs, 'dead', 'gone@host');
    await redis.hset(keys.sessions, 'due', `dead|0|60|${now - 1}`, 'live', 'dead|1|1|', 'other', `${a.run}|0|1|`);

    await a.expiry.tick();
    await b.expiry.tick();
    assert.deepEqual(a.wiped, ['due']);
    assert.deepEqual(b.wiped, []);
    assert.equal(await redis.hget(keys.sessions, 'due'), null);
    // The connected one got its expiry time (Redis' clock): interval from now.
    const stamped = parseEntry((await redis.hget(keys.sessions, 'live'))!);
    assert.ok(stamped?.at !== undefined && stamped.at >= now + 1000);

    while ((await redisNow(redis)) <= stamped.at) await new Promise((r) => setTimeout(r, 50));
    await b.expiry.tick();
    await a.expiry.tick();
    assert.deepEqual(a.wiped, ['due', 'live']);
    assert.deepEqual(b.wiped, []);
    // A live run's entry is not touched.
    assert.equal(await redis.hget(keys.sessions, 'other'), `${a.run}|0|1|`);
    await a.expiry.tick();
    assert.equal(await redis.hget(keys.runs, 'dead'), null);
    await a.expiry.stop();
    await b.expiry.stop();
  });

  test('a session resumed elsewhere before its time is not wiped', async () => {
    const { keys, redis } = await setup();
    const a = node(keys, 'a');
    await a.expiry.start();
    await redis.hset(keys.runs, 'dead', 'gone@host');
    await redis.hset(keys.sessions, 'roamer', 'dead|0|1|');
    await a.expiry.tick();
    const at = parseEntry((await redis.hget(keys.sessions, 'roamer'))!)!.at!;
    // The client connects on a live node: that node writes its own value.
    await redis.hset(keys.sessions, 'roamer', 'elsewhere|7|1|');
    while ((await redisNow(redis)) <= at) await new Promise((r) => setTimeout(r, 50));
    await a.expiry.tick();
    assert.deepEqual(a.wiped, []);
    assert.equal(await redis.hget(keys.sessions, 'roamer'), 'elsewhere|7|1|');
    await a.expiry.stop();
  });

  test('a run that comes back (Redis was only cut off) gets its entries back unchanged', async () => {
    const { keys, redis } = await setup();
    const a = node(keys, 'a');
    await a.expiry.start();
    await redis.hset(keys.runs, 'cut', 'cut@host');
    await redis.hset(keys.sessions, 'held', 'cut|0|60|');
    await a.expiry.tick();
    assert.notEqual(await redis.hget(keys.sessions, 'held'), 'cut|0|60|');
    await redis.set(keys.alive('cut'), 'cut@host', 'PX', 5000);
    await a.expiry.tick();
    assert.equal(await redis.hget(keys.sessions, 'held'), 'cut|0|60|');
    assert.deepEqual(a.wiped, []);
    await a.expiry.stop();
  });

  test('a stopping holder hands over: the next one expires what is left', async () => {
    const { keys, redis } = await setup();
    const a = node(keys, 'a');
    const b = node(keys, 'b');
    await a.expiry.start();
    await b.expiry.start();
    await redis.hset(keys.runs, 'dead', 'gone@host');
    await redis.hset(keys.sessions, 'later', 'dead|0|1|');
    await a.expiry.tick();
    const at = parseEntry((await redis.hget(keys.sessions, 'later'))!)!.at!;
    await a.expiry.stop();
    // a's own run is gone too now: b keeps a's stamped time.
    while ((await redisNow(redis)) <= at) await new Promise((r) => setTimeout(r, 50));
    await b.expiry.tick();
    assert.deepEqual(b.wiped, ['later']);
    assert.deepEqual(a.wiped, []);
    await b.expiry.stop();
  });
});
