/**
 * EE 4.x `pulsar_consumer` module -> pulsar-consumer (modules-catalog.md §1.7, §2.12): Shared
 * subscription, flow control, payload = the message payload. Only fromEnterprise does work.
 */
import type { ConfSetting, Location } from '../../src/migrator/legacy-node.js';
import type { ForwardResult, LegacyMapping, MappingWarning } from './mapping.js';
import { embeddedFileName, enterpriseKeys, isRecord } from './enterprise-config.js';

const T = 'pulsar-consumer';

export function pulsarFromEnterprise(config: Record<string, unknown>, location: Location): ForwardResult {
  const warnings: MappingWarning[] = [];
  const out: Record<string, unknown> = {};
  const tlsOn = config['ssl'] === true || config['ssl'] === 'true';
  const servers = String(config['servers'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (/^pulsar(\+ssl)?:\/\//.test(s) ? s : `${tlsOn ? 'pulsar+ssl' : 'pulsar'}://${s}`));
  if (servers.length) out['servers'] = servers;
  for (const f of ['max_consumer_num', 'flow_size'] as const) {
    const v = Number(config[f]);
    if (config[f] !== undefined && Number.isInteger(v) && v >= 1) out[f] = v;
  }
  if (config['reset_flow_rate'] !== undefined) {
    const rate = Number.parseInt(String(config['reset_flow_rate']).replace('%', ''), 10);
    if (rate >= 1 && rate <= 100) out['reset_flow_rate'] = rate;
    else warnings.push({ code: 'invalid-value', message: `pulsar_consumer reset_flow_rate ${JSON.stringify(config['reset_flow_rate'])} is not 1%..100%`, location });
  }
  const token = config['jwt'] ?? config['token'];
  if (typeof token === 'string' && token !== '') out['authentication'] = { mechanism: 'token', jwt: token };
  const mappings = Array.isArray(config['topic_mapping']) ? config['topic_mapping'] : [];
  out['topic_mapping'] = mappings.filter(isRecord).map((m) => ({
    pulsar_topic: String(m['pulsar_topic'] ?? ''),
    mqtt_topic: String(m['mqtt_topic'] ?? ''),
    qos: [0, 1, 2].includes(Number(m['mqtt_topic_qos'] ?? m['qos'] ?? 0)) ? Number(m['mqtt_topic_qos'] ?? m['qos'] ?? 0) : 0,
    payload_template: '${payload}',
  }));
  if (!mappings.length) warnings.push({ code: 'pulsar-no-mapping', message: 'pulsar_consumer has no topic_mapping: the module will not validate', location });
  if (tlsOn) {
    const tls: Record<string, unknown> = {};
    if (config['verify'] !== undefined) tls['verify'] = config['verify'] === true || config['verify'] === 'true';
    out['tls'] = tls;
  }
  for (const f of ['cacertfile', 'certfile', 'keyfile']) {
    const name = embeddedFileName(config[f]);
    if (name) warnings.push({ code: 'embedded-file', message: `pulsar_consumer ${f} (${name}) was uploaded into 4.x: write it to a file on every node and set tls.${f}`, location });
  }
  out['subscription_type'] = 'shared';
  const targets: Record<string, string> = {
    servers: `${T}#/servers`, max_consumer_num: `${T}#/max_consumer_num`, flow_size: `${T}#/flow_size`, reset_flow_rate: `${T}#/reset_flow_rate`,
    topic_mapping: `${T}#/topic_mapping`, jwt: `${T}#/authentication/jwt`, token: `${T}#/authentication/jwt`, ssl: `${T}#/servers`,
    verify: `${T}#/tls/verify`, cacertfile: `${T}#/tls/cacertfile`, certfile: `${T}#/tls/certfile`, keyfile: `${T}#/tls/keyfile`,
  };
  return { config: out, keys: enterpriseKeys('pulsar_consumer', config, location, (k) => targets[k]), warnings };
}

export const pulsarConsumer: LegacyMapping = {
  source: 'ee:pulsar_consumer',
  moduleType: T,
  loadedAs: [],
  enterpriseTypes: ['pulsar_consumer'],
  forward: (settings: readonly ConfSetting[]) => ({
    keys: settings.map((s) => ({ key: s.key, location: s.location, class: 'not-mapped' as const, reason: 'unknown key for ee:pulsar_consumer' })),
    warnings: [],
  }),
  reverse: () => [],
  fromEnterprise: pulsarFromEnterprise,
};
