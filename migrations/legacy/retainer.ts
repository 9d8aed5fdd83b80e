/**
 * emqx_retainer (etc/plugins/emqx_retainer.conf) and the EE `retainer` module -> retainer.
 * disc_only becomes disc (with a warning); expiry_interval is `[integer, {duration, ms}]`: a bare
 * number is milliseconds, 0 = never.
 */
import type { ConfSetting, Location } from '../../src/migrator/legacy-node.js';
import { bool, bytesize, CodecError, formatDurationMs, int, mapped, parseLegacyDuration, type Codec } from './codecs.js';
import { defineMapping } from './define-mapping.js';
import type { ForwardContext, ForwardResult, LegacyMapping, MappingWarning } from './mapping.js';
import { enterpriseKeys } from './enterprise-config.js';

/** `[integer, {duration, ms}]` -> our duration (`30` -> `30ms`, `0` -> `0s`, `2h` kept). Writes `0` for zero (4.0–4.3.7 reject `0s`). */
export const expiryInterval: Codec<string> = {
  name: 'duration (bare numbers in ms)',
  decode(raw) {
    if (/^[0-9]+$/.test(raw)) return formatDurationMs(Number(raw));
    if (/^[0-9]+(ms|s|m|h|d)$/.test(raw) && !/^0+[a-z]/.test(raw)) return raw;
    return formatDurationMs(parseLegacyDuration(raw));
  },
  encode(value) {
    const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(value);
    if (!m) throw new CodecError(`${JSON.stringify(value)} is not a duration like 5s`);
    return Number(m[1]) === 0 ? '0' : `${Number(m[1])}${m[2]}`;
  },
};

const storageType = mapped({ ram: 'ram', disc: 'disc', disc_only: 'disc' });

const base = defineMapping({
  source: 'emqx_retainer',
  moduleType: 'retainer',
  loadedAs: ['emqx_retainer'],
  fields: [
    { key: 'retainer.storage_type', pointer: '/storage_type', codec: storageType, legacyDefault: 'ram' },
    { key: 'retainer.max_retained_messages', pointer: '/max_retained_messages', codec: int, legacyDefault: '0' },
    { key: 'retainer.max_payload_size', pointer: '/max_payload_size', codec: bytesize, legacyDefault: '1MB' },
    { key: 'retainer.expiry_interval', pointer: '/expiry_interval', codec: expiryInterval, legacyDefault: '0' },
    { key: 'retainer.stop_publish_clear_msg', pointer: '/stop_publish_clear_msg', codec: bool, legacyDefault: 'false' },
  ],
});

const DISC_ONLY = 'retainer storage disc_only becomes disc: modmq keeps an in-memory index of what is on disc';

function forward(settings: readonly ConfSetting[], ctx: ForwardContext): ForwardResult {
  const result = base.forward(settings, ctx);
  const s = settings.find((x) => x.key === 'retainer.storage_type' && x.value === 'disc_only');
  if (s) {
    result.warnings.push({ code: 'retainer-disc-only', message: DISC_ONLY, location: s.location });
    const outcome = result.keys.find((k) => k.key === s.key);
    if (outcome) outcome.reason = DISC_ONLY;
  }
  const max = result.config?.['max_retained_messages'];
  if (typeof max === 'number' && max < 0) {
    result.warnings.push({ code: 'invalid-value', message: `retainer.max_retained_messages ${max} < 0: using 0 (unlimited)` });
    result.config!['max_retained_messages'] = 0;
  }
  return result;
}

/** EE `retainer`: same names; expiry_interval is a plain number (read as milliseconds, like the plugin) or a duration string. */
function fromEnterprise(config: Record<string, unknown>, location: Location): ForwardResult {
  const warnings: MappingWarning[] = [];
  const out: Record<string, unknown> = {};
  const read = <T>(field: string, codec: Codec<T>): void => {
    const v = config[field];
    if (v === undefined || v === null || v === '') return;
    try {
      out[field] = codec.decode(String(v));
    } catch (err) {
      warnings.push({ code: 'invalid-value', message: `retainer ${field}: ${(err as Error).message}`, location });
    }
  };
  read('storage_type', storageType);
  read('max_retained_messages', int);
  read('max_payload_size', bytesize);
  read('expiry_interval', expiryInterval);
  read('stop_publish_clear_msg', bool);
  if (config['storage_type'] === 'disc_only') warnings.push({ code: 'retainer-disc-only', message: DISC_ONLY, location });
  if (typeof config['expiry_interval'] === 'number' && config['expiry_interval'] !== 0) {
    warnings.push({
      code: 'retainer-expiry-unit',
      message: `retainer expiry_interval ${config['expiry_interval']} read as milliseconds (${String(out['expiry_interval'])}), as the 4.x plugin does; check it`,
      location,
    });
  }
  const fields = ['storage_type', 'max_retained_messages', 'max_payload_size', 'expiry_interval', 'stop_publish_clear_msg'];
  return { config: out, keys: enterpriseKeys('retainer', config, location, (k) => (fields.includes(k) ? `retainer#/${k}` : undefined)), warnings };
}

export const retainer: LegacyMapping = { ...base, forward, enterpriseTypes: ['retainer'], fromEnterprise };
