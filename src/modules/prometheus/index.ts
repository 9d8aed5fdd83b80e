import { parseDurationMs } from '../../broker/duration.js';
import type { Problem } from '../../schema/problem.js';
import type { ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { expandJobName, pushEndpoint } from './job-name.js';
import { Pusher, type PushTarget } from './pusher.js';
import { positiveDuration } from '../runtime/checks.js';

export interface PushGatewayConfig {
  enable: boolean;
  url: string;
  interval: string;
  job_name: string;
  headers: Record<string, string>;
}

export interface PrometheusConfig {
  push_gateway: PushGatewayConfig;
}

const MAX_TIMEOUT_MS = 10_000;
const MIN_TIMEOUT_MS = 1_000;

/** The push target of a config, or undefined when pushing is off. Throws on a bad url/interval. */
export function pushTarget(config: PrometheusConfig, nodeName: string): PushTarget | undefined {
  const gw = config.push_gateway;
  if (!gw?.enable) return undefined;
  const intervalMs = parseDurationMs(gw.interval);
  if (!(intervalMs > 0)) throw new Error('push_gateway.interval must be greater than 0');
  new URL(gw.url); // throws for an invalid url
  return {
    endpoint: pushEndpoint(gw.url, expandJobName(gw.job_name, nodeName)),
    headers: { ...gw.headers },
    intervalMs,
    // A push may take at most one interval (bounded), so a hung gateway never piles pushes up.
    timeoutMs: Math.max(MIN_TIMEOUT_MS, Math.min(intervalMs, MAX_TIMEOUT_MS)),
  };
}

/**
 * prometheus: pushes the node's metrics to a Pushgateway at an interval. Pull (`/metrics`) is
 * served by the API from the same registry whether or not this module runs.
 */
export const prometheus: ModuleType<PrometheusConfig> = {
  type: 'prometheus',
  family: 'ops',
  schemaVersion: 1,

  check(config: PrometheusConfig): Problem[] {
    const gw = config.push_gateway;
    if (!gw) return [];
    const problems: Problem[] = [];
    problems.push(...positiveDuration('/push_gateway/interval', gw.interval));
    try {
      const u = new URL(gw.url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be http or https');
    } catch (err) {
      problems.push({ pointer: '/push_gateway/url', keyword: 'format', message: `url ${(err as Error).message}` });
    }
    return problems;
  },

  async create(ctx: ModuleContext, config: PrometheusConfig): Promise<ModuleInstance<PrometheusConfig>> {
    const startPusher = (cfg: PrometheusConfig): Pusher | undefined => {
      const target = pushTarget(cfg, ctx.node.name);
      if (!target) return undefined;
      const pusher = new Pusher(
        target,
        async () => ({ body: await ctx.metrics.metrics(), contentType: ctx.metrics.contentType }),
        ctx.log,
      );
      pusher.start();
      return pusher;
    };
    let pusher = startPusher(config);

    return {
      async update(next: PrometheusConfig): Promise<void> {
        pushTarget(next, ctx.node.name); // validate before touching the running pusher
        await pusher?.stop();
        pusher = startPusher(next);
      },
      async stop(): Promise<void> {
        await pusher?.stop();
        pusher = undefined;
      },
      status: () => pusher?.status() ?? { state: 'running' },
    };
  },
};
