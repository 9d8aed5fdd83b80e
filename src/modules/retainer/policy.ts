import { parseDurationMs } from '../../broker/duration.js';

/** The module config as the schema gives it (defaults applied). */
export interface RetainerConfig {
  /** `disc_only` (EMQX 4.x) is accepted and runs as `disc`. */
  storage_type: 'ram' | 'disc' | 'disc_only';
  max_retained_messages: number;
  max_payload_size: string;
  expiry_interval: string;
  stop_publish_clear_msg: boolean;
}

/** The config in the units the retainer works with. */
export interface RetainerPolicy {
  storage: 'ram' | 'disc';
  /** 0 = unlimited. */
  maxMessages: number;
  /** Bytes; 0 = no limit. */
  maxPayloadBytes: number;
  /** ms; 0 = never expires (unless the message carries an MQTT 5 expiry). */
  expiryMs: number;
  stopPublishClearMsg: boolean;
}

const BYTE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

/** `64KB` -> 65536 (powers of 1024, as the bytesize schema says); a bare number is bytes. */
export function parseByteSize(text: string | number): number {
  if (typeof text === 'number') return text;
  const m = /^\s*(\d+)\s*(B|KB|MB|GB)?\s*$/i.exec(text);
  if (!m) throw new Error(`invalid byte size: ${JSON.stringify(text)}`);
  return Number(m[1]) * BYTE_UNITS[(m[2] ?? 'B').toUpperCase()]!;
}

export function toPolicy(config: Partial<RetainerConfig>): RetainerPolicy {
  const storage = config.storage_type === undefined || config.storage_type === 'ram' ? 'ram' : 'disc';
  return {
    storage,
    maxMessages: config.max_retained_messages ?? 0,
    maxPayloadBytes: parseByteSize(config.max_payload_size ?? '1MB'),
    expiryMs: parseDurationMs(config.expiry_interval ?? '0s'),
    stopPublishClearMsg: config.stop_publish_clear_msg === true,
  };
}

const MAX_SWEEP_MS = 60_000;
const MIN_SWEEP_MS = 1_000;

/**
 * How often expired messages are swept. EMQX sweeps every expiry_interval; we also sweep at least
 * every minute, because MQTT 5 expiries exist even when expiry_interval is 0. Reads skip expired
 * messages anyway, so the sweep only frees memory and disk.
 */
export function sweepPeriodMs(policy: RetainerPolicy): number {
  if (policy.expiryMs <= 0) return MAX_SWEEP_MS;
  return Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, policy.expiryMs));
}
