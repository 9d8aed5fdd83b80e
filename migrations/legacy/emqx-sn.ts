/**
 * emqx_sn (etc/plugins/emqx_sn.conf, 4.0–4.4) and the EE `mqtt_sn_protocol` module -> gateway-mqttsn.
 * `mqtt.sn.port` is the one UDP listener (per node in 4.x: a merge conflict when nodes differ);
 * `mqtt.sn.predefined.topic.<id>` become `predefined[{id, topic}]` (id 0 is reserved and dropped).
 */
import { defineMapping } from './define-mapping.js';
import { duration, flag, int, bool, str } from './codecs.js';
import { assembleListeners, legacyBind, splitListeners, type ListenerGroup } from './gateway-listeners.js';
import { ee, eeProtocol } from './ee-protocol.js';

const TYPE = 'gateway-mqttsn';
const groups: ListenerGroup[] = [{ from: '_udp', type: 'udp' }];

export const emqxSn = defineMapping({
  source: 'emqx_sn',
  moduleType: TYPE,
  loadedAs: ['emqx_sn'],
  fields: [
    { key: 'mqtt.sn.port', pointer: '/_udp/0/bind', codec: legacyBind, legacyDefault: '1884' },
    { key: 'mqtt.sn.advertise_duration', pointer: '/advertise_duration', codec: duration, legacyDefault: '15s' },
    { key: 'mqtt.sn.gateway_id', pointer: '/gateway_id', codec: int, legacyDefault: '1' },
    { key: 'mqtt.sn.username', pointer: '/clientinfo_override/username', codec: str },
    { key: 'mqtt.sn.password', pointer: '/clientinfo_override/password', codec: str, secret: true },
    { key: 'mqtt.sn.idle_timeout', pointer: '/idle_timeout', codec: duration, legacyDefault: '30s' },
    { key: 'mqtt.sn.enable_stats', pointer: '/enable_stats', codec: flag },
    { key: 'mqtt.sn.enable_qos3', pointer: '/enable_qos3', codec: flag },
    { key: 'mqtt.sn.subs_resume', pointer: '/subs_resume', codec: bool, legacyDefault: 'false' },
    { key: 'mqtt.sn.predefined.topic.$name', pointer: '/_predefined/$name', codec: str },
  ],
  afterForward(config, _ctx, result) {
    assembleListeners(config, result, TYPE, groups);
    const table = (config['_predefined'] as Record<string, string> | undefined) ?? {};
    delete config['_predefined'];
    const ids = Object.keys(table).filter((id) => /^[0-9]+$/.test(id) && Number(id) >= 1 && Number(id) <= 65534);
    ids.sort((a, b) => Number(a) - Number(b));
    if (ids.length) config['predefined'] = ids.map((id) => ({ id: Number(id), topic: table[id] }));
    for (const k of result.keys) {
      const m = /#\/_predefined\/(.*)$/.exec(k.target ?? '');
      if (!m) continue;
      const index = ids.indexOf(m[1]!);
      if (index >= 0) {
        k.target = `${TYPE}#/predefined/${index}`;
        k.class = 'mapped';
      } else {
        delete k.target;
        k.class = 'not-mapped';
        k.reason = m[1] === '0' ? 'topic id 0 is reserved by MQTT-SN (the shipped conf sets it to "reserved")' : `topic id ${m[1]} is outside 1..65534`;
      }
    }
  },
  beforeReverse(config) {
    splitListeners(config, groups);
    const udp = config['_udp'] as unknown[];
    config['_udp'] = udp.slice(0, 1); // 4.x has exactly one MQTT-SN port
    const predefined = (config['predefined'] as { id: number; topic: string }[] | undefined) ?? [];
    delete config['predefined'];
    config['_predefined'] = Object.fromEntries(predefined.map((p) => [String(p.id), p.topic]));
    return config;
  },
  enterpriseTypes: ['mqtt_sn_protocol'],
  fromEnterprise: eeProtocol(
    TYPE,
    ['udp'],
    [
      { from: 'username', pointer: '/clientinfo_override/username', convert: (v) => (typeof v === 'string' ? v : undefined) },
      { from: 'password', pointer: '/clientinfo_override/password', convert: (v) => (typeof v === 'string' ? v : undefined), secret: true },
      { from: 'enable_qos3', pointer: '/enable_qos3', convert: ee.boolOf },
      { from: 'enable_stats', pointer: '/enable_stats', convert: ee.boolOf },
      { from: 'idle_timeout', pointer: '/idle_timeout', convert: ee.msToDuration },
      {
        from: 'predefinded', // sic: the EE 4.2 name; ids are positional 1..N
        pointer: '/predefined',
        convert: (v) => (Array.isArray(v) ? v.map((p, i) => ({ id: i + 1, topic: String((p as { topic?: unknown }).topic ?? '') })) : undefined),
      },
    ],
    {},
    (config, eeConfig, result) => {
      const first = (eeConfig['listeners'] as Record<string, unknown>[] | undefined)?.[0];
      const gw = ee.intOf(first?.['gateway_id']);
      if (gw !== undefined) config['gateway_id'] = gw;
      const cio = config['clientinfo_override'] as Record<string, unknown> | undefined;
      if (cio && cio['username'] === '') delete cio['username'];
      if (cio && cio['password'] === '') delete cio['password'];
      void result;
    },
  ),
});
