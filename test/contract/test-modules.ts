/**
 * Tiny module types that exercise every path of the runtime: hot update, create-first replace,
 * stop-first replace of an exclusive port, and create failures on a config flag.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { ModuleType } from '../../src/modules/runtime/module-type.js';
import type { StubType } from '../helpers/stub-catalog.js';

/** Prefixes published topics; updates in place (atomically: a `failUpdate` config is refused). */
export interface PrefixConfig {
  prefix: string;
  failCreate: boolean;
  failUpdate: boolean;
}

export const testPrefix: ModuleType<PrefixConfig> = {
  type: 'test-prefix',
  family: 'extension',
  schemaVersion: 1,
  check: (c) => (c.prefix.includes('#') ? [{ pointer: '/prefix', keyword: 'topic', message: 'prefix must not contain #' }] : []),
  async create(ctx, config) {
    if (config.failCreate) throw new Error('create refused by config');
    let current = config;
    // A real timer, so a leak would show in process.getActiveResourcesInfo().
    const tick = setInterval(() => undefined, 60_000);
    ctx.hooks.rewriteTopic((_client, action, topic) => (action === 'publish' ? `${current.prefix}/${topic}` : topic));
    return {
      async update(next) {
        if (next.failUpdate) throw new Error('update refused by config');
        current = next;
      },
      async stop() {
        clearInterval(tick);
      },
      status: () => ({ state: 'running' }),
    };
  },
};

/** Denies publishing under one topic prefix; no update, so a change creates a new instance first. */
export interface DenyConfig {
  deny: string;
  failCreate: boolean;
}

export const testDeny: ModuleType<DenyConfig> = {
  type: 'test-deny',
  family: 'auth',
  schemaVersion: 1,
  async create(ctx, config) {
    if (config.failCreate) throw new Error('create refused by config');
    ctx.hooks.authorize((_client, action, topic) =>
      action === 'publish' && topic.startsWith(config.deny) ? { result: 'deny', reason: `denied by ${ctx.moduleId}` } : { result: 'ignore' },
    );
    return { stop: async () => undefined, status: () => ({ state: 'running' }) };
  },
};

/** Listens on a TCP port and greets with a banner: an exclusive resource, so stop-first. */
export interface ListenerConfig {
  port: number;
  banner: string;
  failCreate: boolean;
}

export const testListener: ModuleType<ListenerConfig> = {
  type: 'test-listener',
  family: 'gateway',
  schemaVersion: 1,
  replace: 'stop-first',
  async create(ctx, config) {
    if (config.failCreate) throw new Error('create refused by config');
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.end(config.banner);
    });
    server.listen(config.port, '127.0.0.1');
    await once(server, 'listening');
    ctx.hooks.clientConnected(() => undefined);
    return {
      async stop() {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
      status: () => ({ state: 'running' }),
    };
  },
};

export const testModuleTypes = [testPrefix, testDeny, testListener];

/** Stub schemas for the test types (defaults applied like the real catalog). */
export const testStubTypes: StubType[] = [
  {
    type: 'test-prefix',
    defaults: { prefix: 'p', failCreate: false, failUpdate: false },
    validate: (c) => (typeof c.prefix === 'string' && c.prefix !== '' ? [] : [{ pointer: '/prefix', keyword: 'minLength', message: 'must be a non-empty string' }]),
  },
  {
    type: 'test-deny',
    singleton: false,
    defaults: { deny: 'secret/', failCreate: false },
    validate: (c) => (typeof c.deny === 'string' ? [] : [{ pointer: '/deny', keyword: 'type', message: 'must be string' }]),
  },
  {
    type: 'test-listener',
    defaults: { banner: 'hello', failCreate: false },
    validate: (c) =>
      Number.isInteger(c.port) && (c.port as number) >= 0 && (c.port as number) < 65536
        ? []
        : [{ pointer: '/port', keyword: 'type', message: 'must be a port number' }],
  },
  // In the catalog but without an implementation: shows `unavailable`.
  { type: 'test-schema-only', defaults: {} },
];

/** Reads what a test-listener on `port` says. */
export async function readBanner(port: number): Promise<string> {
  const { connect } = await import('node:net');
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString();
}

/** A port that was free a moment ago (for types that need a fixed port across a replace). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
