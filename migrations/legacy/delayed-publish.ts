/**
 * Delayed publish had no settings in 4.x: the emqx_delayed_publish plugin (4.0, empty conf), the
 * emqx_mod_delayed module (4.1+, data/loaded_modules) or the EE delayed_publish module. Loading any
 * of them enables delayed-publish with max_delayed_messages 0 (unlimited, as in 4.x).
 */
import type { Location } from '../../src/migrator/legacy-node.js';
import { defineMapping } from './define-mapping.js';
import type { ForwardResult, LegacyMapping } from './mapping.js';
import { enterpriseKeys } from './enterprise-config.js';

export const delayedPublish: LegacyMapping = defineMapping({
  source: 'emqx_delayed_publish',
  moduleType: 'delayed-publish',
  loadedAs: ['emqx_delayed_publish', 'emqx_mod_delayed'],
  fields: [],
  enterpriseTypes: ['delayed_publish'],
  fromEnterprise(config: Record<string, unknown>, location: Location): ForwardResult {
    const max = config['max_delayed_messages'];
    const out: Record<string, unknown> = {};
    if (typeof max === 'number' && Number.isInteger(max) && max >= 0) out['max_delayed_messages'] = max;
    return {
      config: out,
      keys: enterpriseKeys('delayed_publish', config, location, (k) => (k === 'max_delayed_messages' ? 'delayed-publish#/max_delayed_messages' : undefined)),
      warnings: [],
    };
  },
});
