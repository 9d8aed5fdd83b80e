/**
 * emqx_prometheus (4.2+), emqx_statsd (4.0/4.1, the same Pushgateway push under another name) and
 * the EE `prometheus` module -> prometheus (released schema). A configured push server means push is
 * on (4.x: comment the line out to disable); statsd.push.gateway.server has a default, so a loaded
 * emqx_statsd always pushed. Intervals are integers in milliseconds.
 */
import type { ConfSetting, Location } from '../../src/migrator/legacy-node.js';
import { CodecError, duration, formatDurationMs, int, str, type Codec } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import type { ForwardContext, ForwardResult, LegacyMapping, MappingWarning } from './mapping.js';
import { enterpriseKeys } from './enterprise-config.js';

/** Integer milliseconds <-> our duration (`15000` <-> `15s`). */
export const msInterval: Codec<string> = {
  name: 'integer (milliseconds)',
  decode(raw) {
    const ms = int.decode(raw);
    if (ms <= 0) throw new CodecError(`${raw} must be a positive number of milliseconds`);
    return formatDurationMs(ms);
  },
  encode(value) {
    const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(value);
    if (!m) throw new CodecError(`${JSON.stringify(value)} is not a duration like 15s`);
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
    return String(Number(m[1]) * unit);
  },
};

const COLLECTOR = 'Erlang prometheus collectors: modmq exposes its own fixed metric set';

function pushMapping(source: string, prefix: 'prometheus' | 'statsd', alwaysOn: boolean): LegacyMapping {
  const base = defineMapping({
    source,
    moduleType: 'prometheus',
    loadedAs: [source],
    fields: [
      { key: `${prefix}.push.gateway.server`, pointer: '/push_gateway/url', codec: str, ...(alwaysOn ? { legacyDefault: 'http://127.0.0.1:9091' } : {}) },
      { key: `${prefix}.interval`, pointer: '/push_gateway/interval', codec: msInterval, legacyDefault: '5000' },
    ],
    notMapped: [{ key: 'prometheus.collector.$name', reason: COLLECTOR }],
    beforeReverse(config) {
      const push = (config['push_gateway'] ?? {}) as Record<string, unknown>;
      // only an enabled push has a server line in 4.x; job_name and headers have no 4.x equivalent
      // (an enabled push always writes both: absent keys would mean "no push" and 5000 ms in 4.x)
      if (push['enable'] !== true) return { push_gateway: push['interval'] !== undefined ? { interval: push['interval'] } : {} };
      return { push_gateway: { url: push['url'] ?? 'http://127.0.0.1:9091', interval: push['interval'] ?? '15s' } };
    },
  });
  return {
    ...base,
    forward(settings: readonly ConfSetting[], ctx: ForwardContext): ForwardResult {
      const result = base.forward(settings, ctx);
      const push = ((result.config ??= {})['push_gateway'] ??= {}) as Record<string, unknown>;
      push['enable'] = alwaysOn || settings.some((s) => s.key === `${prefix}.push.gateway.server`);
      if (!push['enable'] && !settings.some((s) => s.key === `${prefix}.interval`)) delete push['interval'];
      return result;
    },
  };
}

export const prometheus: LegacyMapping = {
  ...pushMapping('emqx_prometheus', 'prometheus', false),
  enterpriseTypes: ['prometheus'],
  fromEnterprise(config: Record<string, unknown>, location: Location): ForwardResult {
    const warnings: MappingWarning[] = [];
    const push: Record<string, unknown> = { enable: true };
    if (typeof config['url'] === 'string' && config['url'] !== '') push['url'] = config['url'];
    const iv = config['interval'];
    try {
      if (typeof iv === 'string' && iv !== '') push['interval'] = duration.decode(iv);
      else if (typeof iv === 'number') push['interval'] = msInterval.decode(String(iv));
    } catch (err) {
      warnings.push({ code: 'invalid-value', message: `prometheus interval: ${(err as Error).message}`, location });
    }
    const targets: Record<string, string> = { url: 'prometheus#/push_gateway/url', interval: 'prometheus#/push_gateway/interval' };
    return { config: { push_gateway: push }, keys: enterpriseKeys('prometheus', config, location, (k) => targets[k]), warnings };
  },
};

export const statsd: LegacyMapping = pushMapping('emqx_statsd', 'statsd', true);
