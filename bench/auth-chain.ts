/**
 * `node --import tsx bench/auth-chain.ts [--quick] [--rounds 3] [--clients 32] [--publishers 8] [--window 16]`
 *
 * The auth chain of issue 4: auth-builtin-db -> auth-mysql (real MariaDB, sha256 + salt rows) ->
 * auth-jwt (HMAC secret) on a whole in-process modmq node (store, reconciler, API, ports 0).
 * Measures (1) connects/s of users found by the 1st, 2nd and 3rd module and of unknown users (all
 * ignore -> allow_anonymous), (2) QoS 1 publishes/s of a publisher whose ACL answer comes from
 * auth-mysql's acl_query, with the cluster's ACL cache on and off (PUT /api/v1/cluster).
 *
 * The load runs in a worker thread (its own event loop; raw mqtt-packet clients over loopback), so
 * it does not queue behind the broker's callbacks. Prints medians over rounds; asserts nothing.
 * Everything (node, MariaDB, worker, temp dir) is stopped at the end, on error, Ctrl-C or time-out.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import mqtt from 'mqtt-packet';
import { RawMqttClient } from '../test/helpers/raw-mqtt-client.js';
import { FrameScanner } from './load/frame-scanner.js';

// ---------------------------------------------------------------- shared (main + worker)

interface Credentials {
  username: string;
  password: string;
}

type Job =
  | { kind: 'connect'; port: number; users: Credentials[]; concurrency: number; warmupMs: number; runMs: number }
  | { kind: 'publish'; port: number; users: Credentials[]; window: number; warmupMs: number; runMs: number };

interface JobResult {
  /** Successful connects (CONNACK 0) or PUBACKs counted in the measured window. */
  count: number;
  perSecond: number;
  /** CONNACK with a non-zero code, connection closed or timed out: any of these makes the run suspect. */
  failures: number;
  /** Median CONNECT -> CONNACK (connect jobs) in ms. */
  p50Ms?: number;
}

const CONNECT_TIMEOUT_MS = 5000;

// ---------------------------------------------------------------- worker: the load generator

/** One CONNECT -> CONNACK on a fresh socket; true when accepted. The socket is reset (no TIME_WAIT). */
function connectOnce(port: number, clientId: string, user: Credentials): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (socket.readyState === 'open') socket.resetAndDestroy();
      else socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      socket.write(
        mqtt.generate({
          cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId,
          username: user.username, password: Buffer.from(user.password),
        }),
      );
    });
    let got: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk]);
      // CONNACK (v3.1.1): 0x20 0x02 flags code.
      if (got.length >= 4) finish(got[0] === 0x20 && got[3] === 0);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

async function runConnects(job: Extract<Job, { kind: 'connect' }>, worker: number): Promise<JobResult> {
  const start = performance.now();
  const from = start + job.warmupMs;
  const until = from + job.runMs;
  let count = 0;
  let failures = 0;
  const latencies: number[] = [];
  let seq = 0;
  const loop = async (lane: number): Promise<void> => {
    while (performance.now() < until) {
      const user = job.users[(lane + seq) % job.users.length]!;
      const t0 = performance.now();
      const ok = await connectOnce(job.port, `ab${worker}-${lane}-${seq++}`, user);
      const t1 = performance.now();
      if (t1 < from || t1 > until) continue; // completions in the window only (not warm-up, not the drain)
      if (ok) {
        count++;
        latencies.push(t1 - t0);
      } else failures++;
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, (_, lane) => loop(lane)));
  latencies.sort((a, b) => a - b);
  const p50Ms = latencies.length > 0 ? latencies[Math.floor(latencies.length / 2)]! : undefined;
  return { count, perSecond: (count * 1000) / job.runMs, failures, ...(p50Ms === undefined ? {} : { p50Ms }) };
}

/** Publishers in a closed loop (at most `window` QoS 1 publishes unacknowledged each); counts PUBACKs. */
async function runPublishes(job: Extract<Job, { kind: 'publish' }>, worker: number): Promise<JobResult> {
  let counting = false;
  let stopped = false;
  let count = 0;
  let failures = 0;
  const sockets: net.Socket[] = [];
  const publishers = job.users.map(async (user, i) => {
    const socket = net.connect({ host: '127.0.0.1', port: job.port });
    sockets.push(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let connected: (ok: boolean) => void = () => {};
    const ready = new Promise<boolean>((resolve) => (connected = resolve));
    let nextId = 1;
    const topic = `bench/pub/${user.username}`;
    const payload = Buffer.alloc(64, 0x61);
    const publish = (): void => {
      const messageId = nextId;
      nextId = nextId === 0xffff ? 1 : nextId + 1;
      socket.write(mqtt.generate({ cmd: 'publish', topic, payload, qos: 1, retain: false, dup: false, messageId }));
    };
    const scanner = new FrameScanner((header, buf, start) => {
      const type = header >> 4;
      if (type === 2) connected(buf[start + 1] === 0);
      else if (type === 4) {
        if (counting) count++;
        if (!stopped) publish();
      }
    });
    socket.on('data', (chunk: Buffer) => scanner.push(chunk));
    socket.on('close', () => {
      connected(false);
      if (!stopped) failures++;
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write(
      mqtt.generate({
        cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60,
        clientId: `ap${worker}-${i}-${Date.now()}`, username: user.username, password: Buffer.from(user.password),
      }),
    );
    if (!(await ready)) throw new Error(`publisher ${user.username} was refused`);
    return publish;
  });
  try {
    const starters = await Promise.all(publishers);
    for (const publish of starters) for (let k = 0; k < job.window; k++) publish();
    await new Promise((r) => setTimeout(r, job.warmupMs));
    counting = true;
    await new Promise((r) => setTimeout(r, job.runMs));
    counting = false;
    stopped = true;
    return { count, perSecond: (count * 1000) / job.runMs, failures };
  } finally {
    stopped = true;
    for (const s of sockets) if (s.readyState === 'open') s.resetAndDestroy();
      else s.destroy();
  }
}

if (!isMainThread) {
  let jobs = 0;
  parentPort!.on('message', (job: Job) => {
    const run = job.kind === 'connect' ? runConnects(job, jobs++) : runPublishes(job, jobs++);
    run.then(
      (result) => parentPort!.postMessage({ result }),
      (error: unknown) => parentPort!.postMessage({ error: String(error instanceof Error ? error.message : error) }),
    );
  });
}

// ---------------------------------------------------------------- main: servers, node, table

if (isMainThread) await main();

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      clients: { type: 'string', default: '32' },
      publishers: { type: 'string', default: '8' },
      window: { type: 'string', default: '16' },
    },
  });
  const quick = values.quick === true;
  const rounds = Number(values.rounds ?? (quick ? 1 : 3));
  const concurrency = Number(values.clients);
  const publisherCount = Number(values.publishers);
  const window = Number(values.window);
  const runMs = quick ? 600 : 1500;
  const warmupMs = quick ? 150 : 300;
  // The whole bench is bounded: setup plus rounds x 6 runs, with room for a slow MariaDB start.
  const limitMs = quick ? 60_000 : 115_000;

  // Imported here so the worker thread does not load the broker, the store and the DB helper.
  const { pino } = await import('pino');
  const { startNode } = await import('../src/node/node.js');
  const { hashPassword } = await import('../src/modules/auth-common/index.js');
  const { startMariaDb } = await import('../test/helpers/servers/mariadb.js');

  const cleanups: Array<() => Promise<unknown>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      for (const step of cleanups.reverse()) await step().catch((e: unknown) => console.error('cleanup:', e));
    })());
  const abort = (why: string): void => {
    console.error(`\n${why}: stopping everything`);
    void cleanup().finally(() => process.exit(1));
  };
  process.once('SIGINT', () => abort('interrupted'));
  process.once('SIGTERM', () => abort('terminated'));
  const deadline = setTimeout(() => abort(`time limit (${limitMs / 1000} s) reached`), limitMs);
  deadline.unref();

  const cpus = os.cpus();
  console.log('auth chain benchmark: auth-builtin-db -> auth-mysql -> auth-jwt (issue 4)');
  console.log(
    `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), node ${process.version}, ` +
      `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(
    `${rounds} round(s); each run ${runMs} ms after ${warmupMs} ms warm-up; ${concurrency} concurrent connectors, ` +
      `${publisherCount} QoS 1 publishers x ${window} in flight; loopback; load in a worker thread\n`,
  );

  try {
    // MariaDB with 4.x-style tables: sha256 of salt + password (salt prefix), ACL rows per user.
    const db = await startMariaDb();
    cleanups.push(() => db.stop());
    const hash = { name: 'sha256', salt_position: 'prefix' } as const;
    await db.exec(`CREATE TABLE mqtt_user (id INT AUTO_INCREMENT PRIMARY KEY, username VARCHAR(100) UNIQUE, password VARCHAR(200), salt VARCHAR(40), is_superuser TINYINT(1) DEFAULT 0);
      CREATE TABLE mqtt_acl (id INT AUTO_INCREMENT PRIMARY KEY, allow INT, ipaddr VARCHAR(60), username VARCHAR(100), clientid VARCHAR(100), access INT, topic VARCHAR(100), INDEX (username))`);
    const mysqlUsers: Credentials[] = [];
    for (let i = 0; i < Math.max(8, publisherCount); i++) {
      const user = { username: `m${i}`, password: `pw-m${i}` };
      const salt = `salt${i}`;
      await db.exec('INSERT INTO mqtt_user (username, password, salt) VALUES (?, ?, ?)', [user.username, await hashPassword(hash, user.password, salt), salt]);
      // access 2 = publish; the publisher's own topic only. Everything else: no row -> ignore -> acl_nomatch deny.
      await db.exec('INSERT INTO mqtt_acl (allow, ipaddr, username, clientid, access, topic) VALUES (1, NULL, ?, NULL, 2, ?)', [user.username, 'bench/pub/%u']);
      mysqlUsers.push(user);
    }

    const dataDir = await mkdtemp(join(os.tmpdir(), 'modmq-bench-auth-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const adminPassword = `bench-${process.pid}`;
    const off = { enable: false, bind: '127.0.0.1', port: 0 };
    const node = await startNode(
      {
        node: { name: 'bench-auth', data_dir: dataDir },
        listeners: { tcp: { enable: true, bind: '127.0.0.1', port: 0 }, tls: off, ws: { ...off, path: '/mqtt' }, wss: { ...off, path: '/mqtt' } },
        api: { bind: '127.0.0.1', port: 0 },
        log: { level: 'silent' },
      },
      { log: pino({ level: 'silent' }), adminPassword, print: () => {} },
    );
    cleanups.push(() => node.stop());
    const port = node.listeners.find((l) => l.kind === 'tcp')!.port;
    const api = apiClient(node.api.port, adminPassword);

    const builtinUsers: Credentials[] = Array.from({ length: 8 }, (_, i) => ({ username: `b${i}`, password: `pw-b${i}` }));
    const jwtSecret = 'bench-jwt-secret';
    const jwtUsers: Credentials[] = Array.from({ length: 8 }, (_, i) => ({ username: `j${i}`, password: signHs256({ sub: `j${i}`, exp: Math.floor(Date.now() / 1000) + 3600 }, jwtSecret) }));
    const unknownUsers: Credentials[] = Array.from({ length: 8 }, (_, i) => ({ username: `nobody${i}`, password: 'not-a-token' }));

    // The chain, in this order, through the API as an operator would; ?wait=true until applied.
    await api('POST', '/modules?wait=true', { type: 'auth-builtin-db', enabled: true, config: { password_hash: 'sha256', users: builtinUsers } });
    await api('POST', '/modules?wait=true', {
      type: 'auth-mysql',
      enabled: true,
      config: {
        server: `${db.host}:${db.port}`, database: db.database, username: db.user, password: db.password,
        pool_size: 8, query_timeout: '5s', password_hash: hash,
        auth_query: "select password, salt from mqtt_user where username = '%u' limit 1",
        super_query: "select is_superuser from mqtt_user where username = '%u' limit 1",
        acl_query: "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where username = '%u' or username = '$all' order by id",
      },
    });
    await api('POST', '/modules?wait=true', { type: 'auth-jwt', enabled: true, config: { secret: jwtSecret, from: 'password' } });
    const setCache = (enable: boolean): Promise<void> =>
      updateSettings(api, { allow_anonymous: true, acl_nomatch: 'deny', acl_cache: { enable, max_size: 32, ttl: '1m' } });
    await setCache(true);
    await expectChain(api, port, { builtin: builtinUsers[0]!, mysql: mysqlUsers[0]!, jwt: jwtUsers[0]!, unknown: unknownUsers[0]!, jwtWrongSecret: signHs256({ sub: 'x' }, 'other') });

    // A worker does not inherit the tsx loader of `--import tsx`: register it there, then load this file.
    const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(boot, { eval: true });
    cleanups.push(() => worker.terminate());
    worker.on('error', (e) => abort(`load worker failed: ${e.message}`));
    const runJob = (job: Job): Promise<JobResult> =>
      new Promise((resolve, reject) => {
        worker.once('message', (m: { result?: JobResult; error?: string }) => (m.result ? resolve(m.result) : reject(new Error(m.error))));
        worker.postMessage(job);
      });

    const scenarios: Array<{ label: string; run: () => Promise<JobResult> }> = [
      { label: 'connect: builtin-db user (1st)', run: () => runJob({ kind: 'connect', port, users: builtinUsers, concurrency, warmupMs, runMs }) },
      { label: 'connect: mysql user (2nd)', run: () => runJob({ kind: 'connect', port, users: mysqlUsers, concurrency, warmupMs, runMs }) },
      { label: 'connect: jwt token (3rd)', run: () => runJob({ kind: 'connect', port, users: jwtUsers, concurrency, warmupMs, runMs }) },
      { label: 'connect: unknown -> anonymous', run: () => runJob({ kind: 'connect', port, users: unknownUsers, concurrency, warmupMs, runMs }) },
      {
        label: 'publish QoS1, ACL cache on',
        run: async () => {
          await setCache(true);
          return runJob({ kind: 'publish', port, users: mysqlUsers.slice(0, publisherCount), window, warmupMs, runMs });
        },
      },
      {
        label: 'publish QoS1, ACL cache off',
        run: async () => {
          await setCache(false);
          return runJob({ kind: 'publish', port, users: mysqlUsers.slice(0, publisherCount), window, warmupMs, runMs });
        },
      },
    ];
    const results = new Map<string, JobResult[]>(scenarios.map((s) => [s.label, []]));
    for (let round = 0; round < rounds; round++) {
      // Rotate who goes first, so a slow start of the machine does not always hit the same row.
      for (let k = 0; k < scenarios.length; k++) {
        const s = scenarios[(k + round) % scenarios.length]!;
        results.get(s.label)!.push(await s.run());
      }
      process.stdout.write(`round ${round + 1}/${rounds} done\n`);
    }
    printTable(results, rounds);
    const on = median(results.get('publish QoS1, ACL cache on')!.map((r) => r.perSecond));
    const offRate = median(results.get('publish QoS1, ACL cache off')!.map((r) => r.perSecond));
    if (offRate > 0) console.log(`\nACL cache on / off: ${(on / offRate).toFixed(2)}x publishes/s (cache off = one acl_query per publish)`);
    console.log(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } catch (error) {
    console.error('auth-chain bench failed:', error);
    process.exitCode = 1;
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }
}

// ---------------------------------------------------------------- helpers (main)

type Api = (method: string, path: string, body?: unknown) => Promise<unknown>;

function apiClient(apiPort: number, password: string): Api {
  const authorization = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  return async (method, path, body) => {
    const response = await fetch(`http://127.0.0.1:${apiPort}/api/v1${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    const parsed = text === '' ? {} : (JSON.parse(text) as { applied?: boolean });
    if (parsed.applied === false) throw new Error(`${method} ${path}: the node did not apply the change`);
    return parsed;
  };
}

async function updateSettings(api: Api, settings: Record<string, unknown>): Promise<void> {
  const current = (await api('GET', '/cluster?reveal=true')) as { revision: number; document: { settings: Record<string, unknown> } };
  const document = { ...current.document, settings: { ...current.document.settings, ...settings } };
  await api('PUT', '/cluster?wait=true&reveal=true', { document, revision: current.revision });
}

/** An HS256 JWT (what the auth-jwt module's `secret` verifies). */
function signHs256(claims: Record<string, unknown>, secret: string): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/**
 * Checks the chain before measuring, so the figures are about what they claim: every user is
 * accepted, a wrong password of each module's user is refused (so that module, not allow_anonymous,
 * answered), and the mysql user's publish is allowed by acl_query while another topic is denied.
 */
async function expectChain(
  _api: Api,
  port: number,
  u: { builtin: Credentials; mysql: Credentials; jwt: Credentials; unknown: Credentials; jwtWrongSecret: string },
): Promise<void> {
  const connack = async (user: Credentials): Promise<RawMqttClient & { code: number }> => {
    const c = await RawMqttClient.connectTcp(port, 5);
    c.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clean: true, keepalive: 60, clientId: `check-${Math.random()}`, username: user.username, password: Buffer.from(user.password) });
    const p = await c.next();
    return Object.assign(c, { code: p?.cmd === 'connack' ? (p.reasonCode ?? -1) : -1 });
  };
  const expectCode = async (what: string, user: Credentials, code: number): Promise<void> => {
    const c = await connack(user);
    c.close();
    if (c.code !== code) throw new Error(`chain check: ${what} got CONNACK 0x${c.code.toString(16)}, expected 0x${code.toString(16)}`);
  };
  await expectCode('builtin-db user', u.builtin, 0);
  await expectCode('builtin-db wrong password', { ...u.builtin, password: 'wrong' }, 0x86);
  await expectCode('mysql user', u.mysql, 0);
  await expectCode('mysql wrong password', { ...u.mysql, password: 'wrong' }, 0x86);
  await expectCode('jwt user', u.jwt, 0);
  await expectCode('jwt bad signature', { username: u.jwt.username, password: u.jwtWrongSecret }, 0x87);
  await expectCode('unknown user (anonymous)', u.unknown, 0);
  const c = await connack(u.mysql);
  try {
    const puback = async (topic: string, messageId: number): Promise<number> => {
      c.send({ cmd: 'publish', topic, payload: Buffer.from('x'), qos: 1, retain: false, dup: false, messageId });
      const p = await c.next();
      return p?.cmd === 'puback' ? (p.reasonCode ?? 0) : -1;
    };
    const allowed = await puback(`bench/pub/${u.mysql.username}`, 1);
    const denied = await puback('bench/elsewhere', 2);
    if (allowed !== 0 || denied !== 0x87) throw new Error(`chain check: acl_query publish allowed=0x${allowed.toString(16)} denied=0x${denied.toString(16)}`);
  } finally {
    c.close();
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function printTable(results: Map<string, JobResult[]>, rounds: number): void {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const roundCols = Array.from({ length: rounds }, (_, i) => `round ${i + 1}`.padStart(10)).join('');
  console.log(`\n${'scenario'.padEnd(32)}${roundCols}${'median/s'.padStart(11)}${'p50 ms'.padStart(9)}${'failed'.padStart(8)}`);
  for (const [label, runs] of results) {
    const rates = runs.map((r) => r.perSecond);
    const p50s = runs.flatMap((r) => (r.p50Ms === undefined ? [] : [r.p50Ms]));
    const failed = runs.reduce((sum, r) => sum + r.failures, 0);
    console.log(
      `${label.padEnd(32)}${rates.map((r) => fmt(r).padStart(10)).join('')}${fmt(median(rates)).padStart(11)}` +
        `${(p50s.length > 0 ? median(p50s).toFixed(2) : '-').padStart(9)}${String(failed).padStart(8)}`,
    );
  }
}
