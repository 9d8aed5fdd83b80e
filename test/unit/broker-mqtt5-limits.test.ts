import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aedesLimitOptions, DEFAULT_MQTT5_LIMITS, mqtt5LimitsFromConfig } from '../../src/broker/mqtt5-limits.js';

const strategy = { shared_subscription_strategy: 'round_robin' as const };

describe('mqtt5LimitsFromConfig', () => {
  test('EMQX defaults when the node config names nothing', () => {
    assert.deepEqual(mqtt5LimitsFromConfig(undefined), { ...DEFAULT_MQTT5_LIMITS });
    assert.deepEqual(mqtt5LimitsFromConfig(strategy), { receiveMaximum: 32, maxPacketSize: 1_048_576, maxTopicAlias: 65535 });
  });

  test('values from the node config; byte sizes in powers of 1024', () => {
    const limits = mqtt5LimitsFromConfig({ ...strategy, receive_maximum: 10, max_packet_size: '64KB', max_topic_alias: 0, server_keepalive: 30 });
    assert.deepEqual(limits, { receiveMaximum: 10, maxPacketSize: 65_536, maxTopicAlias: 0, serverKeepalive: 30 });
    assert.deepEqual(aedesLimitOptions(limits), { receiveMaximum: 10, maximumPacketSize: 65_536, topicAliasMaximum: 0 });
  });

  test('a value MQTT cannot carry is a clear error', () => {
    assert.throws(() => mqtt5LimitsFromConfig({ ...strategy, max_packet_size: '1GB' }), /max_packet_size must be from 64B to 256MB/);
    assert.throws(() => mqtt5LimitsFromConfig({ ...strategy, max_packet_size: '10B' }), /max_packet_size/);
    assert.throws(() => mqtt5LimitsFromConfig({ ...strategy, receive_maximum: 0 }), /receive_maximum must be an integer from 1 to 65535/);
    assert.throws(() => mqtt5LimitsFromConfig({ ...strategy, max_topic_alias: 70000 }), /max_topic_alias/);
    assert.throws(() => mqtt5LimitsFromConfig({ ...strategy, server_keepalive: 0 }), /server_keepalive/);
    assert.doesNotThrow(() => mqtt5LimitsFromConfig({ ...strategy, max_packet_size: '256MB' }));
  });
});
