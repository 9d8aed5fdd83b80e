/**
 * Runs the real `modmq` binary as a user does: `node bin/modmq.js start -c modmq.conf` in a temp dir,
 * ports 0, and reads where it listens from the lines `start` prints. Also runs one-shot commands
 * (`modmq modules ...`, `modmq validate ...`) as child processes. Everything started here is killed
 * by `close()` / `removeTempDir()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = join(REPO, 'bin', 'modmq.js');

/** A HOCON node config bound to loopback; the flags still set the ports to 0. */
export function defaultConfig(name = 'e2e@127.0.0.1'): string {
  return [
    `node { name = "${name}", data_dir = "data" }`,
    'listeners {',
    '  tcp { enable = true, bind = "127.0.0.1", port = 1883 }',
    '  ws { enable = true, bind = "127.0.0.1", port = 8083 }',
    '}',
    'api { bind = "127.0.0.1", port = 18083 }',
    'log { level = warn }',
    '',
  ].join('\n');
}

export async function makeTempDir(prefix = 'modmq-e2e-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** The environment of a child: the test's own, minus anything MODMQ_* that could leak into it. */
function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MODMQ_')) env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `modmq ARGS` to completion (optionally with stdin). */
export function runModmq(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: childEnv(options.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export interface StartOptions {
  /** Working dir (holds modmq.conf and data/); a new temp dir when absent. Reuse it to restart. */
  dir?: string;
  /** HOCON text written to DIR/modmq.conf (default `defaultConfig()`); null = no -c at all. */
  config?: string | null;
  /** MODMQ_ADMIN_PASSWORD; null = unset (first start then generates one). */
  password?: string | null;
  env?: Record<string, string | undefined>;
  /** Extra flags after the port flags (later flags win). */
  args?: string[];
}

export interface Endpoint {
  host: string;
  port: number;
}

export class NodeProcess {
  readonly mqtt: Endpoint;
  readonly ws: Endpoint | undefined;
  /** e.g. http://127.0.0.1:40000/api/v1 */
  readonly api: string;
  /** e.g. http://127.0.0.1:40000 */
  readonly origin: string;
  private readonly clients: MqttClient[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly ownsDir: boolean,
    /** The admin password (given, or the one the first start printed). */
    public password: string,
    private readonly output: { stdout: string; stderr: string },
    listening: { mqtt: Endpoint; ws: Endpoint | undefined; api: string },
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {
    this.mqtt = listening.mqtt;
    this.ws = listening.ws;
    this.api = listening.api;
    this.origin = new URL(listening.api).origin;
    this.exited = exited;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stdout(): string {
    return this.output.stdout;
  }

  get stderr(): string {
    return this.output.stderr;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  authHeader(password = this.password): string {
    return `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  }

  /** fetch on the API with admin credentials; PATH is below /api/v1 unless it starts with /metrics. */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const url = path.startsWith('/metrics') ? `${this.origin}${path}` : `${this.api}${path}`;
    const init: RequestInit = { method, headers: { authorization: this.authHeader(), ...headers } };
    if (body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(url, init);
  }

  /** GET/POST ... expecting 2xx JSON. */
  async json<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** `modmq ARGS` as a client of this node (MODMQ_API_URL + MODMQ_ADMIN_PASSWORD). */
  cli(args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
    return runModmq(args, {
      cwd: this.dir,
      env: { MODMQ_API_URL: this.origin, MODMQ_ADMIN_PASSWORD: this.password, ...env },
    });
  }

  /** Like cli() but fails the test on a non-zero exit. */
  async cliOk(args: string[]): Promise<RunResult> {
    const r = await this.cli(args);
    if (r.code !== 0) throw new Error(`modmq ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r;
  }

  /** Polls GET /status until this node applied at least REVISION (the latest when absent). */
  async waitApplied(revision?: number): Promise<number> {
    for (let i = 0; i < 1000; i++) {
      const s = await this.json<{ revision: number; appliedRevision: number }>('GET', '/status');
      if (s.appliedRevision >= (revision ?? s.revision)) return s.appliedRevision;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`node never applied revision ${revision ?? 'latest'}`);
  }

  /**
   * Polls GET /clients/ID until the node lists the client. aedes sends CONNACK before it announces
   * the client (clientReady), so a client may briefly be connected but not yet listed.
   */
  async waitForClient(clientId: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 1000; i++) {
      const res = await this.request('GET', `/clients/${encodeURIComponent(clientId)}`);
      const text = await res.text();
      if (res.status === 200) return JSON.parse(text) as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`client ${clientId} never listed`);
  }

  /** Connects MQTT.js to the tcp listener; closed by close(). */
  async connect(options: IClientOptions = {}): Promise<MqttClient> {
    const client = await mqtt.connectAsync({
      host: '127.0.0.1',
      port: this.mqtt.port,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    client.on('error', () => undefined);
    this.clients.push(client);
    return client;
  }

  /** Like connect() but returns at once, so listeners are attached before CONNACK arrives. */
  open(options: IClientOptions = {}): MqttClient {
    const client = mqtt.connect({ host: '127.0.0.1', port: this.mqtt.port, reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.on('error', () => undefined);
    this.clients.push(client);
    return client;
  }

  /** Sends SIGNAL and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await this.endClients();
    if (this.alive) this.child.kill(signal);
    return this.exited;
  }

  private async endClients(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  }

  /** Ends clients, kills the node if still running, removes its temp dir if startNode made it. */
  async close(): Promise<void> {
    await this.endClients();
    if (this.alive) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    if (this.ownsDir) await removeTempDir(this.dir);
  }
}

function parseEndpoint(hostPort: string): Endpoint {
  const at = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, at), port: Number(hostPort.slice(at + 1)) };
}

/** Starts `modmq start` and resolves once it printed its API line (rejects if it exits first). */
export async function startNodeProcess(options: StartOptions = {}): Promise<NodeProcess> {
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? (await makeTempDir());
  const args = [BIN, 'start'];
  if (options.config !== null) {
    await writeFile(join(dir, 'modmq.conf'), options.config ?? defaultConfig());
    args.push('-c', 'modmq.conf');
  }
  args.push('--mqtt-port', '0', '--ws-port', '0', '--api-port', '0', ...(options.args ?? []));
  const password = options.password === undefined ? `pw-${Math.random().toString(36).slice(2)}` : options.password;
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: childEnv({ MODMQ_ADMIN_PASSWORD: password ?? undefined, ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  child.stderr!.on('data', (c: Buffer) => (output.stderr += c.toString()));
  const listening = await new Promise<{ mqtt: Endpoint; ws: Endpoint | undefined; api: string }>((ok, fail) => {
    let mqttAt: Endpoint | undefined;
    let wsAt: Endpoint | undefined;
    child.stdout!.on('data', (c: Buffer) => {
      output.stdout += c.toString();
      for (const line of output.stdout.split('\n')) {
        const m = /^listening: mqtt (\w+) (\S+)$/.exec(line);
        if (m?.[1] === 'tcp') mqttAt = parseEndpoint(m[2]!);
        if (m?.[1] === 'ws') wsAt = parseEndpoint(m[2]!);
        const a = /^listening: api (\S+)$/.exec(line);
        if (a && mqttAt) ok({ mqtt: mqttAt, ws: wsAt, api: a[1]! });
      }
    });
    child.once('error', fail);
    void exited.then(({ code, signal }) =>
      fail(new Error(`modmq start exited (${code ?? signal}) before listening:\n${output.stdout}\n${output.stderr}`)),
    );
  }).catch(async (err: unknown) => {
    if (ownsDir) await removeTempDir(dir);
    throw err;
  });
  const generated = /Generated the API password for user "admin".*: (\S+)\s*$/m.exec(output.stdout)?.[1];
  return new NodeProcess(child, dir, ownsDir, password ?? generated ?? '', output, listening, exited);
}

/** Resolves with the next message the client receives on a topic matching PREDICATE. */
export function nextMessage(
  client: MqttClient,
  predicate: (topic: string) => boolean = () => true,
): Promise<{ topic: string; payload: string; retain: boolean; qos: number }> {
  return new Promise((ok) => {
    const onMessage = (topic: string, payload: Buffer, packet: { retain: boolean; qos: number }): void => {
      if (!predicate(topic)) return;
      client.off('message', onMessage);
      ok({ topic, payload: payload.toString(), retain: packet.retain, qos: packet.qos });
    };
    client.on('message', onMessage);
  });
}
