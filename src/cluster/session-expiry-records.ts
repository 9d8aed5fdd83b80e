/**
 * Which sessions with a finite MQTT 5 Session Expiry Interval each node answers for, kept in the
 * cluster's Redis so that another node can expire them when that node is gone.
 *
 * aedes expires a session with a timer on the node where its client disconnected; that timer dies
 * with the process (kill -9, crash, and also a clean stop: aedes clears its timers on close). So
 * every node records here, per client id, the session it is responsible for:
 *
 *   `${keyPrefix}expiry:sessions`      hash  client id -> `<run>|<seq>|<interval s>|<expires at ms>`
 *                                       (expires-at empty while the client is connected)
 *   `${keyPrefix}expiry:runs`          hash  run -> node name: every run that may have entries
 *   `${keyPrefix}expiry:alive:<run>`   string with a TTL, refreshed while the run lives
 *
 * A run is one process of a node (random id): a restarted node is a new run, and its old entries
 * are orphans like those of a dead node. A connect writes its own value (the new connection owns
 * the session, wherever it was before); a disconnect stamps the expiry time (Redis' clock) only if
 * the value is still the one its connect wrote, so a connection taken over elsewhere changes
 * nothing. A client without a finite expiry (3.1.1 clean session 0, 0xFFFFFFFF) deletes the entry:
 * its session never expires. A clean session (expiry 0) writes nothing: connecting clean already
 * ended any earlier session, so expiring that id later has nothing left to remove.
 *
 * orphan-session-expiry.ts expires the entries of runs whose alive key is gone.
 */
import type { Aedes, Client } from 'aedes';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** MQTT 5 "never expires". */
export const NEVER_EXPIRES = 0xffffffff;

export interface ExpiryKeys {
  sessions: string;
  runs: string;
  alive(run: string): string;
  lease: string;
}

export function expiryKeys(keyPrefix: string): ExpiryKeys {
  return {
    sessions: `${keyPrefix}expiry:sessions`,
    runs: `${keyPrefix}expiry:runs`,
    alive: (run) => `${keyPrefix}expiry:alive:${run}`,
    lease: `${keyPrefix}expiry:lease`,
  };
}

export interface ExpiryEntry {
  run: string;
  intervalMs: number;
  /** Redis time (ms) the session expires at; undefined while its client is connected. */
  at: number | undefined;
}

/** Parses a stored value; undefined when it is not one of ours. */
export function parseEntry(value: string): ExpiryEntry | undefined {
  const parts = value.split('|');
  if (parts.length !== 4) return undefined;
  const [run, , interval, at] = parts as [string, string, string, string];
  const seconds = Number(interval);
  if (run === '' || !Number.isFinite(seconds)) return undefined;
  return { run, intervalMs: seconds * 1000, at: at === '' ? undefined : Number(at) };
}

// Redis' clock, not the nodes': the node that expires the session is not the one that stamped it.
const NOW_MS = `
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** Appends the expiry time (now + ARGV[3] ms) to ARGV[2] if it is still the value; returns the new value. */
const STAMP = `${NOW_MS}
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return false end
local v = ARGV[2] .. string.format('%d', now + tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], ARGV[1], v)
return v`;

/** Replaces (ARGV[3] empty: deletes) the value if it is still ARGV[2]: {1}; else {0, current or ''}. */
const SWAP = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v ~= ARGV[2] then return {0, v or ''} end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return {1}`;

/** Deletes the entry if this run (prefix ARGV[2]) stamped it at a disconnect: aedes expired it here. */
const DROP_OWN = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and string.sub(v, 1, #ARGV[2]) == ARGV[2] and string.sub(v, -1) ~= '|' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0`;

/** Redis' time in ms. */
const TIME_MS = `${NOW_MS}
return string.format('%d', now)`;

interface ExpiryCommands {
  modmqExpiryStamp(key: string, field: string, expected: string, intervalMs: number): Promise<string | null>;
  modmqExpirySwap(key: string, field: string, expected: string, replacement: string): Promise<[number, string?]>;
  modmqExpiryDropOwn(key: string, field: string, runPrefix: string): Promise<number>;
  modmqExpiryNow(key: string): Promise<string>;
}

/** The scripts above, on a connection. */
export class ExpiryScripts {
  constructor(
    readonly redis: Redis,
    readonly keys: ExpiryKeys,
  ) {
    redis.defineCommand('modmqExpiryStamp', { numberOfKeys: 1, lua: STAMP });
    redis.defineCommand('modmqExpirySwap', { numberOfKeys: 1, lua: SWAP });
    redis.defineCommand('modmqExpiryDropOwn', { numberOfKeys: 1, lua: DROP_OWN });
    redis.defineCommand('modmqExpiryNow', { numberOfKeys: 1, lua: TIME_MS });
  }

  private get commands(): ExpiryCommands {
    return this.redis as unknown as ExpiryCommands;
  }

  /** Stamps `expected` with now + intervalMs; null when the value changed meanwhile. */
  stamp(clientId: string, expected: string, intervalMs: number): Promise<string | null> {
    return this.commands.modmqExpiryStamp(this.keys.sessions, clientId, expected, intervalMs);
  }

  /** Replaces `expected` (replacement '': deletes it); returns the current value when it differed. */
  async swap(clientId: string, expected: string, replacement: string): Promise<{ done: true } | { done: false; current: string | undefined }> {
    const [done, current] = await this.commands.modmqExpirySwap(this.keys.sessions, clientId, expected, replacement);
    return done === 1 ? { done: true } : { done: false, current: current === '' || current === undefined ? undefined : current };
  }

  dropOwn(clientId: string, run: string): Promise<number> {
    return this.commands.modmqExpiryDropOwn(this.keys.sessions, clientId, `${run}|`);
  }

  async now(): Promise<number> {
    // The key only routes the script (Redis Cluster): the cluster's hash tag.
    return Number(await this.commands.modmqExpiryNow(this.keys.sessions));
  }
}

type SessionClient = Client & { clean?: boolean; sessionExpiryInterval?: number; version?: number };

/** The finite Session Expiry Interval (s) of a persistent MQTT 5 session; undefined otherwise. */
function finiteExpiry(client: SessionClient): number | undefined {
  if (client.clean !== false || client.version !== 5) return undefined;
  const interval = client.sessionExpiryInterval ?? 0;
  return interval > 0 && interval < NEVER_EXPIRES ? interval : undefined;
}

/** Keeps this run's entries up to date from aedes' connection events. */
export class SessionExpiryRecorder {
  private seq = 0;
  /** What each connected client's connect wrote: its disconnect stamps only that. */
  private readonly written = new WeakMap<Client, string>();
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly scripts: ExpiryScripts,
    private readonly run: string,
    private readonly log: Logger,
  ) {}

  attach(aedes: Aedes): void {
    const { redis, keys } = this.scripts;
    aedes.on('client', (client: Client) => {
      const c = client as SessionClient;
      // Clean: nothing outlives this connection, and connecting clean ended any earlier session.
      if (c.clean !== false) return;
      const interval = finiteExpiry(c);
      if (interval === undefined) {
        // Never expires: an entry left by a node that held this session before must not end it.
        this.send('forget', () => redis.hdel(keys.sessions, client.id));
        return;
      }
      const value = `${this.run}|${this.seq++}|${interval}|`;
      this.written.set(client, value);
      this.send('record', () => redis.hset(keys.sessions, client.id, value));
    });

    aedes.on('clientDisconnect', (client: Client) => {
      const value = this.written.get(client);
      if (value === undefined) return;
      this.written.delete(client);
      // The DISCONNECT may have changed the interval (MQTT 5 allows it).
      const interval = finiteExpiry(client as SessionClient);
      if (interval === undefined) this.send('forget', () => this.scripts.swap(client.id, value, ''));
      else this.send('stamp', () => this.scripts.stamp(client.id, value, interval * 1000));
    });

    // aedes expired (or, at its pending-sessions cap, ended) a session here: its entry goes too.
    const ended = (client: Client, info?: { reason?: string }): void => {
      if (info !== undefined && info.reason !== 'sessionExpiry') return;
      this.send('expired', () => this.scripts.dropOwn(client.id, this.run));
    };
    aedes.on('sessionExpired' as never, ended);
    aedes.on('sessionLimitReached' as never, ended);
  }

  /** Sends a write at once, or skips it while Redis is down (the session store is down too). */
  private send(what: string, write: () => Promise<unknown>): void {
    if (this.scripts.redis.status !== 'ready') {
      this.log.debug({ what }, 'session expiry record skipped: cluster Redis unavailable');
      return;
    }
    const sent = write().catch((error: unknown) => this.log.warn({ err: error, what }, 'session expiry record failed'));
    this.inflight.add(sent);
    void sent.finally(() => this.inflight.delete(sent));
  }

  /** Resolves once the writes sent so far are answered (a stopping node's last disconnects). */
  async flush(): Promise<void> {
    await Promise.all([...this.inflight]);
  }
}
