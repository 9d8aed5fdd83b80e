/**
 * EE 4.x `kafka_consumer` module -> kafka-consumer (EMQX 5 source shape; modules-catalog.md §1.7,
 * §2.12). There is no open-source plugin, so only fromEnterprise does work. Several 4.4 JSON key
 * names are unverified: the documented spellings and their obvious variants are accepted.
 */
import type { ConfSetting, Location } from '../../src/migrator/legacy-node.js';
import { bytesize } from './codecs.js';
import type { ForwardResult, LegacyMapping, MappingWarning } from './mapping.js';
import { embeddedFileName, enterpriseKeys, isRecord } from './enterprise-config.js';

const T = 'kafka-consumer';
const first = (c: Record<string, unknown>, ...names: string[]) => names.map((n) => c[n]).find((v) => v !== undefined && v !== null && v !== '');

/** 4.x MQTT payload choice -> template. */
function payloadTemplate(v: unknown): string {
  const s = String(v ?? 'value').toLowerCase();
  return s.includes('value') ? '${value}' : /all|whole|full|message/.test(s) ? '${.}' : '${value}';
}

const encoding = (v: unknown) => (String(v ?? '').toLowerCase() === 'base64' ? 'base64' : 'none');

export function kafkaFromEnterprise(config: Record<string, unknown>, location: Location): ForwardResult {
  const warnings: MappingWarning[] = [];
  const out: Record<string, unknown> = {};
  const servers = String(first(config, 'servers', 'bootstrap_hosts') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length) out['servers'] = servers;

  const username = first(config, 'username');
  if (typeof username === 'string') {
    const mech = String(first(config, 'sasl_mechanism', 'mechanism', 'authentication') ?? 'plain').toLowerCase();
    const mechanism = mech.includes('512') ? 'scram_sha_512' : mech.includes('256') ? 'scram_sha_256' : 'plain';
    if (mech.includes('kerberos') || mech.includes('gssapi')) {
      warnings.push({ code: 'kafka-kerberos', message: 'kafka_consumer Kerberos (GSSAPI) authentication is not supported: set authentication by hand', location });
    }
    out['authentication'] = { mechanism, username, password: String(config['password'] ?? '') };
  }

  const mappings = Array.isArray(config['topic_mapping']) ? config['topic_mapping'] : [];
  out['topic_mapping'] = mappings.filter(isRecord).map((m) => ({
    kafka_topic: String(m['kafka_topic'] ?? ''),
    // 4.x templates spell `${message.key}`; ours are the record fields directly
    mqtt_topic: String(m['mqtt_topic'] ?? '').replace(/\$\{message\./g, '${'),
    qos: [0, 1, 2].includes(Number(first(m, 'mqtt_topic_qos', 'qos') ?? 0)) ? Number(first(m, 'mqtt_topic_qos', 'qos') ?? 0) : 0,
    payload_template: payloadTemplate(first(m, 'mqtt_payload', 'payload')),
  }));
  if (!mappings.length) warnings.push({ code: 'kafka-no-mapping', message: 'kafka_consumer has no topic_mapping: the module will not validate', location });

  const maxBytes = first(config, 'max_bytes');
  if (maxBytes !== undefined) {
    try {
      out['max_batch_bytes'] = bytesize.decode(String(maxBytes));
    } catch (err) {
      warnings.push({ code: 'invalid-value', message: `kafka_consumer max_bytes: ${(err as Error).message}`, location });
    }
  }
  const reset = String(config['offset_reset_policy'] ?? 'reset_to_latest');
  out['offset_reset_policy'] = reset === 'reset_to_latest' ? 'latest' : 'earliest';
  if (reset !== 'reset_to_latest') {
    warnings.push({ code: 'kafka-offset-reset', message: `kafka_consumer offset_reset_policy ${reset} mapped to earliest (brod let the subscriber decide; 4.x restarted from the earliest offset)`, location });
  }
  const keyMode = first(config, 'key_encode_mode', 'key_encoding_mode');
  const valueMode = first(config, 'value_encode_mode', 'value_encoding_mode');
  if (keyMode !== undefined) out['key_encoding_mode'] = encoding(keyMode);
  if (valueMode !== undefined) out['value_encoding_mode'] = encoding(valueMode);

  const tls: Record<string, unknown> = { enable: config['ssl'] === true || config['ssl'] === 'true' };
  if (config['verify'] !== undefined) tls['verify'] = config['verify'] === true || config['verify'] === 'true';
  for (const f of ['cacertfile', 'certfile', 'keyfile']) {
    const name = embeddedFileName(config[f]);
    if (name) warnings.push({ code: 'embedded-file', message: `kafka_consumer ${f} (${name}) was uploaded into 4.x: write it to a file on every node and set tls.${f}`, location });
  }
  out['tls'] = tls;
  warnings.push({ code: 'kafka-group-id', message: 'EMQX 4.x used the module id as consumer group id: set group_id to it to resume from the committed offsets', location });

  const targets: Record<string, string> = {
    servers: `${T}#/servers`, bootstrap_hosts: `${T}#/servers`, username: `${T}#/authentication/username`, password: `${T}#/authentication/password`,
    sasl_mechanism: `${T}#/authentication/mechanism`, mechanism: `${T}#/authentication/mechanism`, topic_mapping: `${T}#/topic_mapping`,
    max_bytes: `${T}#/max_batch_bytes`, offset_reset_policy: `${T}#/offset_reset_policy`, key_encode_mode: `${T}#/key_encoding_mode`,
    value_encode_mode: `${T}#/value_encoding_mode`, key_encoding_mode: `${T}#/key_encoding_mode`, value_encoding_mode: `${T}#/value_encoding_mode`,
    ssl: `${T}#/tls/enable`, verify: `${T}#/tls/verify`, cacertfile: `${T}#/tls/cacertfile`, certfile: `${T}#/tls/certfile`, keyfile: `${T}#/tls/keyfile`,
    pool_size: '!brod runs one consumer per partition; no pool to size', auto_reconnect: '!modmq always reconnects',
  };
  return { config: out, keys: enterpriseKeys('kafka_consumer', config, location, (k) => targets[k]), warnings };
}

export const kafkaConsumer: LegacyMapping = {
  source: 'ee:kafka_consumer',
  moduleType: T,
  loadedAs: [],
  enterpriseTypes: ['kafka_consumer'],
  forward: (settings: readonly ConfSetting[]) => ({
    keys: settings.map((s) => ({ key: s.key, location: s.location, class: 'not-mapped' as const, reason: 'unknown key for ee:kafka_consumer' })),
    warnings: [],
  }),
  reverse: () => [],
  fromEnterprise: kafkaFromEnterprise,
};
