/**
 * emqx_recon (etc/plugins/emqx_recon.conf, no keys in any version) and the EE `recon` module (no
 * params) -> recon with its defaults. Any key found is unknown (4.x itself would refuse it).
 */
import type { Location } from '../../src/migrator/legacy-node.js';
import { defineMapping } from './define-mapping.js';
import type { ForwardResult, LegacyMapping } from './mapping.js';
import { enterpriseKeys } from './enterprise-config.js';

export const recon: LegacyMapping = defineMapping({
  source: 'emqx_recon',
  moduleType: 'recon',
  loadedAs: ['emqx_recon'],
  fields: [],
  notMapped: [{ key: 'recon.gc_interval', reason: 'Erlang garbage-collection interval: no equivalent in Node.js' }],
  enterpriseTypes: ['recon'],
  fromEnterprise(config: Record<string, unknown>, location: Location): ForwardResult {
    return { config: {}, keys: enterpriseKeys('recon', config, location, () => undefined), warnings: [] };
  },
});
