/**
 * MQTT 5 publish properties <-> JSON text for the store. Buffers (correlationData) survive as
 * `{"$b64": "..."}`; per-hop properties (topic alias, subscription identifiers) are dropped since
 * the held message is published anew.
 */
const PER_HOP = new Set(['topicAlias', 'subscriptionIdentifier']);

export function encodeProperties(properties: Record<string, unknown> | undefined): string | null {
  if (properties === undefined) return null;
  const kept: Record<string, unknown> = {};
  let any = false;
  for (const [key, value] of Object.entries(properties)) {
    if (PER_HOP.has(key) || value === undefined) continue;
    kept[key] = toJsonValue(value);
    any = true;
  }
  return any ? JSON.stringify(kept) : null;
}

export function decodeProperties(text: string | null): Record<string, unknown> | undefined {
  if (text === null) return undefined;
  return fromJsonValue(JSON.parse(text)) as Record<string, unknown>;
}

function toJsonValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $b64: value.toString('base64') };
  if (value instanceof Uint8Array) return { $b64: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v);
    return out;
  }
  return value;
}

function fromJsonValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonValue);
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && typeof obj['$b64'] === 'string') return Buffer.from(obj['$b64'], 'base64');
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = fromJsonValue(obj[k]);
    return out;
  }
  return value;
}
