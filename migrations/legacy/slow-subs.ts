/**
 * 4.4 `module.slow_subs.*` (emqx_mod_slow_subs / EE slow_subscribers_statistics) and topic metrics
 * (emqx_mod_topic_metrics / EE topic_metrics, no keys): modmq has no such modules yet, so every key
 * is not-mapped with that reason.
 */
import type { ConfSetting, Location } from '../../src/migrator/legacy-node.js';
import type { ForwardResult, LegacyMapping } from './mapping.js';
import { enterpriseKeys } from './enterprise-config.js';

function unmapped(source: string, loadedAs: string[], eeType: string, reason: string, keyPrefixes?: string[]): LegacyMapping {
  return {
    source,
    moduleType: null,
    loadedAs,
    ...(keyPrefixes ? { keyPrefixes } : {}),
    enterpriseTypes: [eeType],
    forward(settings: readonly ConfSetting[]): ForwardResult {
      const warnings = settings.length ? [{ code: 'module-not-migrated', message: `${source}: ${reason}` }] : [];
      return { keys: settings.map((s) => ({ key: s.key, location: s.location, class: 'not-mapped' as const, reason })), warnings };
    },
    reverse: () => [],
    fromEnterprise(config: Record<string, unknown>, location: Location): ForwardResult {
      return { keys: enterpriseKeys(eeType, config, location, () => `!${reason}`), warnings: [{ code: 'module-not-migrated', message: `${eeType}: ${reason}`, location }] };
    },
  };
}

export const slowSubs = unmapped(
  'emqx.conf:slow_subs',
  ['emqx_mod_slow_subs'],
  'slow_subscribers_statistics',
  'slow subscriber statistics are not implemented in modmq yet (gap)',
  ['module.slow_subs.'],
);

export const topicMetrics = unmapped('emqx_mod_topic_metrics', ['emqx_mod_topic_metrics'], 'topic_metrics', 'topic metrics are not implemented in modmq yet (gap)');
