/**
 * Builds the node config from its sources, lowest precedence first: schema defaults < HOCON file
 * (`-c`) < `MODMQ_<PATH>` env variables < CLI flags; then validates the merge against
 * schemas/node/v1.json. Any failure is one ModmqError('MODMQ_NODE_CONFIG') whose problems name
 * the source (file, env variable or flag) of each bad value.
 */
import { resolve } from 'node:path';
import { ModmqError } from '../errors.js';
import type { SchemaCatalog } from '../schema/catalog.js';
import { childPointer, type Problem } from '../schema/problem.js';
import { configFromEnv } from './env-config.js';
import { HoconError, parseHoconFile } from './hocon.js';
import type { NodeConfig } from './node-config.js';

/** CLI flags (`--data-dir`, `--mqtt-port`, `--ws-port`, `--api-port`, `--node-name`, `--api-bind`). */
export interface NodeConfigOverrides {
  dataDir?: string;
  mqttPort?: number;
  wsPort?: number;
  apiPort?: number;
  nodeName?: string;
  apiBind?: string;
}

export interface LoadNodeConfigOptions {
  /** HOCON/JSON node config file; absent = defaults + env + flags only. */
  file?: string;
  env?: Record<string, string | undefined>;
  overrides?: NodeConfigOverrides;
  /** Defaults to `createSchemaCatalog()`; tests may pass their own. */
  catalog?: Pick<SchemaCatalog, 'validateNode'>;
  /** Base for a relative data_dir (default: process.cwd()). */
  cwd?: string;
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge for config layers: objects merge key by key, anything else replaces. */
export function mergeConfig(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    out[key] = isObject(prev) && isObject(value) ? mergeConfig(prev, value) : value;
  }
  return out;
}

function flagLayer(o: NodeConfigOverrides): { value: Obj; sources: Map<string, string> } {
  const value: Obj = {};
  const sources = new Map<string, string>();
  const set = (path: string[], v: unknown, flag: string): void => {
    let target = value;
    for (const key of path.slice(0, -1)) {
      const next = isObject(target[key]) ? (target[key] as Obj) : (target[key] = {});
      target = next as Obj;
    }
    target[path[path.length - 1] as string] = v;
    sources.set(path.reduce<string>((p, k) => childPointer(p, k), ''), flag);
  };
  if (o.nodeName !== undefined) set(['node', 'name'], o.nodeName, '--node-name');
  if (o.dataDir !== undefined) set(['node', 'data_dir'], o.dataDir, '--data-dir');
  if (o.mqttPort !== undefined) set(['listeners', 'tcp', 'port'], o.mqttPort, '--mqtt-port');
  if (o.wsPort !== undefined) set(['listeners', 'ws', 'port'], o.wsPort, '--ws-port');
  if (o.apiPort !== undefined) set(['api', 'port'], o.apiPort, '--api-port');
  if (o.apiBind !== undefined) set(['api', 'bind'], o.apiBind, '--api-bind');
  return { value, sources };
}

/** The source that set `pointer` (or a value below/above it), most specific first. */
function sourceOf(pointer: string, layers: Map<string, string>[], fallback: string | undefined): string | undefined {
  for (const sources of layers) {
    const exact = sources.get(pointer);
    if (exact) return exact;
    if (pointer === '') continue;
    for (const [p, name] of sources) {
      if (p.startsWith(`${pointer}/`) || pointer.startsWith(`${p}/`)) return name;
    }
  }
  return fallback;
}

function nodeConfigError(message: string, problems: Problem[], file: string | undefined): ModmqError {
  return new ModmqError('MODMQ_NODE_CONFIG', message, 400, problems, file ? { file } : {});
}

export async function loadNodeConfig(options: LoadNodeConfigOptions = {}): Promise<NodeConfig> {
  const { env = process.env, overrides = {} } = options;
  const file = options.file === undefined ? undefined : resolve(options.file);

  let fromFile: Obj = {};
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = await parseHoconFile(file);
    } catch (err) {
      if (!(err instanceof HoconError)) throw err;
      const problem: Problem = { pointer: '', keyword: 'syntax', message: err.message, file: err.file };
      if (err.line !== undefined) problem.line = err.line;
      if (err.column !== undefined) problem.column = err.column;
      throw nodeConfigError(err.message, [problem], err.file);
    }
    if (parsed === undefined || parsed === null) parsed = {};
    if (!isObject(parsed)) {
      throw nodeConfigError(`${file}: a node config must be an object`, [
        { pointer: '', keyword: 'type', message: 'must be an object', file },
      ], file);
    }
    fromFile = parsed;
  }

  const fromEnv = configFromEnv(env);
  const fromFlags = flagLayer(overrides);
  const merged = mergeConfig(mergeConfig(fromFile, fromEnv.value), fromFlags.value);

  const catalog: Pick<SchemaCatalog, 'validateNode'> = options.catalog ?? (await (await import('../schema/schema-catalog.js')).createSchemaCatalog());
  const result = catalog.validateNode(merged);
  if (!result.ok) {
    const problems = result.problems.map((p) => {
      const source = sourceOf(p.pointer, [fromFlags.sources, fromEnv.sources], file);
      return source === undefined || p.file !== undefined ? p : { ...p, file: source };
    });
    throw nodeConfigError(`invalid node config${file ? ` ${file}` : ''}`, problems, file);
  }

  const config = result.value as NodeConfig;
  config.node.data_dir = resolve(options.cwd ?? process.cwd(), config.node.data_dir);
  return config;
}

/** `file: pointer: message` lines, as `modmq start` prints a rejected node config. */
export function formatConfigProblems(error: ModmqError): string[] {
  if (error.problems.length === 0) return [error.message];
  return error.problems.map((p) => {
    const where = p.file ?? 'node config';
    const at = p.line === undefined ? where : `${where}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
    // Syntax errors already carry their location in the message.
    if (p.keyword === 'syntax') return p.message;
    return `${at}: ${p.pointer || '/'}: ${p.message}`;
  });
}
