/**
 * `modmq start`: load the node config (file < env < flags), start the node, print where it
 * listens, and stop gracefully on SIGINT/SIGTERM (a second signal forces the exit).
 */
import type { EventEmitter } from 'node:events';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { pino, type Logger } from 'pino';
import { ModmqError } from '../errors.js';
import { formatConfigProblems, loadNodeConfig, type NodeConfigOverrides } from '../node/load-config.js';
import type { NodeConfig } from '../node/node-config.js';
import { CliExit, type CliIo } from './io.js';

export interface StartFlags {
  config?: string;
  dataDir?: string;
  mqttPort?: number;
  wsPort?: number;
  apiPort?: number;
  nodeName?: string;
  apiBind?: string;
}

/** What `startNode` (src/node/node.ts) returns, as far as this command needs it. */
export interface StartedNode {
  listeners: Array<{ name?: string; kind?: string; host: string; port: number }>;
  api: { host: string; port: number };
  stop(): Promise<void>;
}

export type StartNodeFn = (
  config: NodeConfig,
  options: { log: Logger; adminPassword?: string; print: (line: string) => void },
) => Promise<StartedNode>;

/** Seams for tests: everything else comes from `io`. */
export interface StartDeps {
  startNode?: StartNodeFn;
  signals?: Pick<EventEmitter, 'on' | 'off'>;
  logger?: (config: NodeConfig) => Logger;
  /** Called on a second signal while stopping. */
  forceExit?: (code: number) => void;
  /** Called once the node is up (tests use it to send the signal). */
  onStarted?: (node: StartedNode) => void;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65535) throw new InvalidArgumentError(`not a port (0..65535): "${value}"`);
  return n;
}

export async function runStart(io: CliIo, flags: StartFlags, deps: StartDeps = {}): Promise<void> {
  const overrides: NodeConfigOverrides = {};
  if (flags.dataDir !== undefined) overrides.dataDir = flags.dataDir;
  if (flags.mqttPort !== undefined) overrides.mqttPort = flags.mqttPort;
  if (flags.wsPort !== undefined) overrides.wsPort = flags.wsPort;
  if (flags.apiPort !== undefined) overrides.apiPort = flags.apiPort;
  if (flags.nodeName !== undefined) overrides.nodeName = flags.nodeName;
  if (flags.apiBind !== undefined) overrides.apiBind = flags.apiBind;

  let config: NodeConfig;
  try {
    config = await loadNodeConfig({
      ...(flags.config === undefined ? {} : { file: flags.config }),
      env: io.env,
      overrides,
      cwd: io.cwd,
    });
  } catch (err) {
    if (err instanceof ModmqError && err.code === 'MODMQ_NODE_CONFIG') {
      for (const line of formatConfigProblems(err)) io.err(line);
      throw new CliExit(1);
    }
    throw err;
  }

  const log = deps.logger ? deps.logger(config) : pino({ level: config.log.level, base: { node: config.node.name } });
  const startNode = deps.startNode ?? ((await import('../node/node.js')).startNode as StartNodeFn);
  const adminPassword = io.env['MODMQ_ADMIN_PASSWORD'];
  const node = await startNode(config, {
    log,
    print: (line) => io.out(line),
    ...(adminPassword ? { adminPassword } : {}),
  });

  for (const l of node.listeners) {
    const kind = l.kind ?? l.name ?? 'mqtt';
    log.info({ listener: l.name ?? kind, kind, host: l.host, port: l.port }, 'MQTT listener ready');
    io.out(`listening: mqtt ${kind} ${l.host}:${l.port}`);
  }
  log.info({ host: node.api.host, port: node.api.port }, 'management API ready');
  io.out(`listening: api http://${node.api.host}:${node.api.port}/api/v1`);

  const signals = deps.signals ?? process;
  const forceExit = deps.forceExit ?? ((code: number) => process.exit(code));
  await new Promise<void>((resolveStop) => {
    let stopping = false;
    const onSignal = (signal: string): void => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting now');
        forceExit(130);
        return;
      }
      stopping = true;
      log.info({ signal }, 'stopping');
      node.stop().then(
        () => {
          log.info('stopped');
          cleanup();
          resolveStop();
        },
        (err: unknown) => {
          log.error({ err }, 'error while stopping');
          cleanup();
          resolveStop();
        },
      );
    };
    const onInt = (): void => onSignal('SIGINT');
    const onTerm = (): void => onSignal('SIGTERM');
    const cleanup = (): void => {
      signals.off('SIGINT', onInt);
      signals.off('SIGTERM', onTerm);
    };
    signals.on('SIGINT', onInt);
    signals.on('SIGTERM', onTerm);
    deps.onStarted?.(node);
  });
}

export function registerStartCommand(program: Command, io: CliIo, deps: StartDeps = {}): void {
  program
    .command('start')
    .description('start a node: MQTT listeners plus the management API')
    .option('-c, --config <file>', 'node config file (HOCON or JSON)')
    .option('--data-dir <dir>', 'data directory (node.data_dir)')
    .option('--mqtt-port <port>', 'MQTT TCP port (listeners.tcp.port)', parsePort)
    .option('--ws-port <port>', 'MQTT over WebSocket port (listeners.ws.port)', parsePort)
    .option('--api-port <port>', 'management API port (api.port)', parsePort)
    .option('--node-name <name>', 'node name (node.name)')
    .option('--api-bind <host>', 'management API bind address (api.bind)')
    .action(async (flags: StartFlags) => runStart(io, flags, deps));
}
