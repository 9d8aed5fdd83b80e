/**
 * emqx.conf `module.presence.qos` -> presence. The 4.x default QoS is 1 (ours is 0), so a node
 * without the key gets qos 1 explicitly. 4.0's `module.presence = on|off` (shipped on) is the enable
 * switch; 4.1+ enable it in data/loaded_modules (emqx_mod_presence).
 */
import type { ConfSetting, Location } from '../../src/migrator/legacy-node.js';
import { int } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import type { ForwardContext, ForwardResult, LegacyMapping } from './mapping.js';
import { applyEnableFlag } from './enable-flag.js';
import { enterpriseKeys } from './enterprise-config.js';

const base = defineMapping({
  source: 'emqx.conf:presence',
  moduleType: 'presence',
  loadedAs: ['emqx_mod_presence'],
  keyPrefixes: ['module.presence'],
  fields: [{ key: 'module.presence.qos', pointer: '/qos', codec: int, legacyDefault: '1' }],
  notMapped: [{ key: 'module.presence', reason: 'handled as the 4.0 enable flag' }],
});

function forward(settings: readonly ConfSetting[], ctx: ForwardContext): ForwardResult {
  const result = base.forward(settings, ctx);
  for (const s of settings) {
    if (s.key !== 'module.presence') continue;
    applyEnableFlag(s, result.keys.find((k) => k.key === s.key)!, result, 'presence');
  }
  const qos = result.config?.['qos'];
  if (qos !== undefined && (typeof qos !== 'number' || qos < 0 || qos > 2)) {
    result.warnings.push({ code: 'invalid-value', message: `module.presence.qos: ${String(qos)} is not 0, 1 or 2; using 1` });
    result.config!['qos'] = 1;
  }
  return result;
}

export const emqxModulePresence: LegacyMapping = {
  ...base,
  forward,
  // always written: an absent key means qos 1 in 4.x
  reverse: (config: Record<string, unknown>) => base.reverse({ qos: 0, ...config }),
  enterpriseTypes: ['presence'],
  fromEnterprise(config: Record<string, unknown>, location: Location): ForwardResult {
    const qos = Number(config['qos'] ?? 0);
    const ok = qos === 0 || qos === 1 || qos === 2;
    return {
      config: { qos: ok ? qos : 0 },
      keys: enterpriseKeys('presence', config, location, (k) => (k === 'qos' ? 'presence#/qos' : undefined)),
      warnings: ok ? [] : [{ code: 'invalid-value', message: `presence qos ${JSON.stringify(config['qos'])} is not 0, 1 or 2; using 0`, location }],
    };
  },
};
