/**
 * EE-only protocol modules with no open-source 4.x plugin conf: `tcp_protocol` (private TCP, emqx_tcp)
 * -> gateway-tcp and `jt808_protocol` -> gateway-jt808. They have no legacy keys, so forward and
 * reverse only report keys as unknown / write nothing; fromEnterprise carries the module params.
 */
import { defineMapping } from './define-mapping.js';
import { ee, eeProtocol } from './ee-protocol.js';

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const policy = (v: unknown) => (typeof v === 'string' && /^[0-9]+\|[0-9]+(B|KB|MB|GB)$/.test(v) ? v : undefined);

export const emqxTcp = defineMapping({
  source: 'emqx_tcp',
  moduleType: 'gateway-tcp',
  loadedAs: ['emqx_tcp'],
  fields: [],
  enterpriseTypes: ['tcp_protocol'],
  fromEnterprise: eeProtocol('gateway-tcp', ['tcp', 'ssl'], [
    { from: 'idle_timeout', pointer: '/idle_timeout', convert: ee.msToDuration },
    { from: 'up_topic', pointer: '/up_topic', convert: text },
    { from: 'dn_topic', pointer: '/dn_topic', convert: text },
    { from: 'max_packet_size', pointer: '/max_packet_size', convert: ee.intOf },
    { from: 'force_gc_policy', pointer: '/force_gc_policy', convert: policy },
    { from: 'force_shutdown_policy', pointer: '/force_shutdown_policy', convert: policy },
    { from: 'enable_stats', pointer: '/enable_stats', convert: ee.boolOf },
  ]),
});

export const emqxJt808 = defineMapping({
  source: 'emqx_jt808',
  moduleType: 'gateway-jt808',
  loadedAs: ['emqx_jt808'],
  fields: [],
  enterpriseTypes: ['jt808_protocol'],
  fromEnterprise: eeProtocol('gateway-jt808', ['tcp', 'ssl'], [
    { from: 'idle_timeout', pointer: '/idle_timeout', convert: ee.msToDuration },
    { from: 'allow_anonymous', pointer: '/auth/allow_anonymous', convert: ee.boolOf },
    { from: 'registray', pointer: '/auth/registry', convert: text }, // sic (EE spelling)
    { from: 'registry', pointer: '/auth/registry', convert: text },
    { from: 'authentication', pointer: '/auth/authentication', convert: text },
    { from: 'up_topic', pointer: '/proto/up_topic', convert: text },
    { from: 'dn_topic', pointer: '/proto/dn_topic', convert: text },
    { from: 'max_length', pointer: '/frame/max_length', convert: ee.intOf },
    { from: 'enable_stats', pointer: '/enable_stats', convert: ee.boolOf },
  ]),
});
