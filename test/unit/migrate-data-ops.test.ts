import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { delayedPublish } from '../../migrations/legacy/delayed-publish.js';
import { kafkaConsumer } from '../../migrations/legacy/kafka-consumer.js';
import type { ForwardResult, KeyOutcome, LegacyMapping } from '../../migrations/legacy/mapping.js';
import { prometheus, statsd } from '../../migrations/legacy/prometheus.js';
import { pulsarConsumer } from '../../migrations/legacy/pulsar-consumer.js';
import { recon } from '../../migrations/legacy/recon.js';
import { retainer } from '../../migrations/legacy/retainer.js';
import { webHook } from '../../migrations/legacy/web-hook.js';
import type { LegacyNode } from '../../src/migrator/legacy-node.js';
import { parseConf } from '../../src/migrator/readers/cuttlefish.js';
import { createSchemaCatalog, type LoadedSchemaCatalog } from '../../src/schema/index.js';

const node: LegacyNode = { name: 'n1', dir: '/tmp/n1', plugins: new Map(), problems: [] };
const eeLoc = { file: 'emqx-export.json', line: 12 };
let catalog: LoadedSchemaCatalog;
before(async () => {
  catalog = await createSchemaCatalog();
});

function run(mapping: LegacyMapping, file: string, lines: string[], version = '4.4'): ForwardResult {
  const doc = parseConf(lines.join('\n') + '\n', file);
  assert.deepEqual(doc.problems, []);
  return mapping.forward(doc.settings, { node, version });
}
const key = (r: ForwardResult, k: string): KeyOutcome => {
  const found = r.keys.find((o) => o.key === k);
  assert.ok(found, `no outcome for ${k}`);
  return found;
};
function valid(type: string, config: unknown): Record<string, unknown> {
  const v = catalog.validateModuleConfig(type, 1, config);
  assert.ok(v.ok, JSON.stringify(v));
  return v.value as Record<string, unknown>;
}

describe('schemas', () => {
  it('every MG2 schema loads with its family and declares its secrets', () => {
    const families: Record<string, string> = { retainer: 'internal', 'delayed-publish': 'internal', recon: 'ops', webhook: 'extension', 'kafka-consumer': 'downlink', 'pulsar-consumer': 'downlink' };
    for (const [type, family] of Object.entries(families)) assert.equal(catalog.moduleType(type)?.family, family, type);
    assert.deepEqual(catalog.secretPointers('webhook', 1), ['/headers/*']);
    assert.deepEqual(catalog.secretPointers('kafka-consumer', 1), ['/authentication/password']);
    assert.deepEqual(valid('delayed-publish', {}), { max_delayed_messages: 0 });
    assert.equal(catalog.validateModuleConfig('retainer', 1, { storage_type: 'disc_only' }).ok, false);
    assert.equal(catalog.validateModuleConfig('webhook', 1, {}).ok, false, 'url is required');
    assert.equal(catalog.validateModuleConfig('kafka-consumer', 1, { topic_mapping: [] }).ok, false);
  });
});

describe('emqx_retainer -> retainer', () => {
  const file = 'etc/plugins/emqx_retainer.conf';
  it('maps every key with its class and line; disc_only -> disc; bare expiry is ms', () => {
    const r = run(retainer, file, [
      'retainer.storage_type = disc_only', // 1
      'retainer.max_retained_messages = 0', // 2
      'retainer.max_payload_size = 64KB', // 3
      'retainer.expiry_interval = 30', // 4
      'retainer.stop_publish_clear_msg = true', // 5
      'retainer.bogus = 1', // 6
    ]);
    assert.deepEqual(r.config, { storage_type: 'disc', max_retained_messages: 0, max_payload_size: '64KB', expiry_interval: '30ms', stop_publish_clear_msg: true });
    assert.equal(key(r, 'retainer.storage_type').class, 'mapped');
    assert.match(key(r, 'retainer.storage_type').reason!, /disc_only/);
    assert.deepEqual(key(r, 'retainer.max_retained_messages'), { key: 'retainer.max_retained_messages', location: { file, line: 2 }, class: 'defaulted', target: 'retainer#/max_retained_messages' });
    assert.equal(key(r, 'retainer.expiry_interval').target, 'retainer#/expiry_interval');
    assert.equal(key(r, 'retainer.bogus').class, 'not-mapped');
    assert.ok(r.warnings.some((w) => w.code === 'retainer-disc-only' && w.location?.line === 1));
    assert.ok(r.warnings.some((w) => w.code === 'unknown-key' && w.location?.line === 6));
    valid('retainer', r.config);
  });
  it('durations: 2h kept, 0 = never, 1m30s normalised', () => {
    assert.equal(run(retainer, file, ['retainer.expiry_interval = 2h']).config!['expiry_interval'], '2h');
    const zero = run(retainer, file, ['retainer.expiry_interval = 0']);
    assert.equal(zero.config!['expiry_interval'], '0s');
    assert.equal(key(zero, 'retainer.expiry_interval').class, 'defaulted');
    assert.equal(run(retainer, file, ['retainer.expiry_interval = 1m30s']).config!['expiry_interval'], '90s');
  });
  it('reverse writes only what differs, 0s as 0', () => {
    assert.deepEqual(retainer.reverse({ storage_type: 'disc', expiry_interval: '0s', max_payload_size: '1MB' }), [{ key: 'retainer.storage_type', value: 'disc' }]);
    assert.deepEqual(retainer.reverse({ expiry_interval: '5m' }), [{ key: 'retainer.expiry_interval', value: '5m' }]);
  });
  it('EE retainer module (number expiry read as ms, with a warning)', () => {
    const r = retainer.fromEnterprise!({ storage_type: 'disc_only', max_retained_messages: 10, max_payload_size: '1MB', expiry_interval: 7200000, stop_publish_clear_msg: false }, eeLoc);
    assert.deepEqual(r.config, { storage_type: 'disc', max_retained_messages: 10, max_payload_size: '1MB', expiry_interval: '2h', stop_publish_clear_msg: false });
    assert.deepEqual(r.warnings.map((w) => w.code).sort(), ['retainer-disc-only', 'retainer-expiry-unit']);
    valid('retainer', r.config);
  });
});

describe('delayed publish and recon (no keys)', () => {
  it('loading the plugin gives the default config', () => {
    assert.deepEqual(delayedPublish.forward([], { node }).config, {});
    assert.deepEqual(delayedPublish.loadedAs, ['emqx_delayed_publish', 'emqx_mod_delayed']);
    assert.deepEqual(recon.forward([], { node }).config, {});
    assert.deepEqual(recon.fromEnterprise!({}, eeLoc).config, {});
    assert.deepEqual(delayedPublish.reverse({ max_delayed_messages: 0 }), []);
  });
  it('a stray key is reported, not dropped silently', () => {
    const r = run(recon, 'etc/plugins/emqx_recon.conf', ['recon.gc_interval = 5m']);
    assert.equal(key(r, 'recon.gc_interval').class, 'not-mapped');
  });
});

describe('emqx_prometheus / emqx_statsd -> prometheus', () => {
  it('a server line enables push; interval is milliseconds', () => {
    const file = 'etc/plugins/emqx_prometheus.conf';
    const r = run(prometheus, file, ['prometheus.push.gateway.server = http://pg:9091', 'prometheus.interval = 20000', 'prometheus.collector.1 = emqx_prometheus']);
    assert.deepEqual(r.config, { push_gateway: { enable: true, url: 'http://pg:9091', interval: '20s' } });
    assert.deepEqual(key(r, 'prometheus.interval'), { key: 'prometheus.interval', location: { file, line: 2 }, class: 'mapped', target: 'prometheus#/push_gateway/interval' });
    assert.equal(key(r, 'prometheus.collector.1').class, 'not-mapped');
    valid('prometheus', r.config);
  });
  it('no server: push off; server without interval: the 4.x default 5s', () => {
    assert.deepEqual(run(prometheus, 'p.conf', []).config, { push_gateway: { enable: false } });
    assert.deepEqual(run(prometheus, 'p.conf', ['prometheus.push.gateway.server = http://pg:9091']).config, { push_gateway: { enable: true, url: 'http://pg:9091', interval: '5s' } });
  });
  it('statsd always pushed (its server key has a default)', () => {
    assert.deepEqual(run(statsd, 'etc/plugins/emqx_statsd.conf', ['statsd.interval = 15000'], '4.0').config, { push_gateway: { enable: true, interval: '15s' } });
  });
  it('EE prometheus module', () => {
    const r = prometheus.fromEnterprise!({ url: 'http://pg:9091', interval: '15s' }, eeLoc);
    assert.deepEqual(r.config, { push_gateway: { enable: true, url: 'http://pg:9091', interval: '15s' } });
    valid('prometheus', r.config);
  });
});

describe('emqx_web_hook -> webhook', () => {
  const file = 'etc/plugins/emqx_web_hook.conf';
  it('4.4 keys', () => {
    const r = run(webHook, file, [
      'web.hook.url = http://127.0.0.1:8080/hook', // 1
      'web.hook.headers.content-type = application/json', // 2
      'web.hook.headers.authorization = Bearer abc', // 3
      'web.hook.body.encoding_of_payload_field = base64', // 4
      'web.hook.pool_size = 16', // 5
      'web.hook.enable_pipelining = true', // 6
      'web.hook.ssl.verify = true', // 7
      'web.hook.rule.client.connected.1     = {"action": "on_client_connected"}', // 8
      'web.hook.rule.message.publish.1 = {"action": "on_message_publish", "topic": "sensors/#"}', // 9
      'web.hook.rule.message.publish.2 = {"action": "on_message_publish", "topic": "a/#/b"}', // 10
      'web.hook.rule.client.bogus.1 = {"action": "on_client_bogus"}', // 11
    ]);
    assert.deepEqual(r.config, {
      url: 'http://127.0.0.1:8080/hook',
      headers: { 'content-type': 'application/json', authorization: 'Bearer abc' },
      encode_payload: 'base64',
      pool_size: 16,
      tls: { verify: true },
      rules: [{ event: 'client.connected', topic: '#' }, { event: 'message.publish', topic: 'sensors/#' }],
    });
    assert.deepEqual(key(r, 'web.hook.headers.authorization'), { key: 'web.hook.headers.authorization', location: { file, line: 3 }, class: 'mapped', secret: true, target: 'webhook#/headers/authorization' });
    assert.equal(key(r, 'web.hook.rule.message.publish.1').target, 'webhook#/rules/1');
    assert.equal(key(r, 'web.hook.enable_pipelining').class, 'not-mapped');
    for (const line of [10, 11]) assert.ok(r.warnings.some((w) => w.code === 'webhook-rule-dropped' && w.location?.line === line));
    valid('webhook', r.config);
  });
  it('4.2 spellings (api.url, encode_payload, ssl.cafile)', () => {
    const r = run(webHook, file, ['web.hook.api.url = https://h/x', 'web.hook.encode_payload = base62', 'web.hook.ssl.cafile = etc/ca.pem'], '4.2');
    assert.deepEqual(r.config, { url: 'https://h/x', encode_payload: 'base62', tls: { cacertfile: 'etc/ca.pem' }, rules: [] });
    assert.equal(key(r, 'web.hook.api.url').target, 'webhook#/url');
  });
  it('reverse numbers rules per event', () => {
    const lines = webHook.reverse({ url: 'http://h/x', rules: [{ event: 'message.publish', topic: 'a/#' }, { event: 'message.publish', topic: '#' }] });
    assert.deepEqual(lines, [
      { key: 'web.hook.url', value: 'http://h/x' },
      { key: 'web.hook.rule.message.publish.1', value: '{"action":"on_message_publish","topic":"a/#"}' },
      { key: 'web.hook.rule.message.publish.2', value: '{"action":"on_message_publish"}' },
    ]);
  });
});

describe('EE kafka_consumer / pulsar_consumer', () => {
  it('kafka: 4.x params -> EMQX 5 source shape', () => {
    const r = kafkaConsumer.fromEnterprise!({
      servers: '10.0.0.1:9092, 10.0.0.2:9092', pool_size: 8, username: 'u', password: 'p',
      topic_mapping: [{ kafka_topic: 'TestTopic', mqtt_topic: 'dev/${message.key}', mqtt_topic_qos: 1 }],
      max_bytes: '100KB', offset_reset_policy: 'reset_to_latest', auto_reconnect: true, ssl: false,
      cacertfile: { filename: '', file: '' },
    }, eeLoc);
    assert.deepEqual(r.config, {
      servers: ['10.0.0.1:9092', '10.0.0.2:9092'],
      authentication: { mechanism: 'plain', username: 'u', password: 'p' },
      topic_mapping: [{ kafka_topic: 'TestTopic', mqtt_topic: 'dev/${key}', qos: 1, payload_template: '${value}' }],
      max_batch_bytes: '100KB', offset_reset_policy: 'latest', tls: { enable: false },
    });
    const pw = r.keys.find((k) => k.key === 'kafka_consumer.password')!;
    assert.equal(pw.secret, true);
    assert.equal(r.keys.find((k) => k.key === 'kafka_consumer.pool_size')!.class, 'not-mapped');
    assert.ok(r.warnings.some((w) => w.code === 'kafka-group-id'));
    valid('kafka-consumer', r.config);
  });
  it('pulsar: servers become pulsar:// URLs, 80% -> 80', () => {
    const r = pulsarConsumer.fromEnterprise!({ servers: '127.0.0.1:6650', max_consumer_num: 2, flow_size: 1000, reset_flow_rate: '80%', topic_mapping: [{ pulsar_topic: 'persistent://public/default/t', mqtt_topic: 'p/t', mqtt_topic_qos: 2 }] }, eeLoc);
    assert.deepEqual(r.config, {
      servers: ['pulsar://127.0.0.1:6650'], max_consumer_num: 2, flow_size: 1000, reset_flow_rate: 80,
      topic_mapping: [{ pulsar_topic: 'persistent://public/default/t', mqtt_topic: 'p/t', qos: 2, payload_template: '${payload}' }],
      subscription_type: 'shared',
    });
    valid('pulsar-consumer', r.config);
  });
});
