/**
 * The `emqx.conf` keys modmq does not carry, as prefix/pattern rules with the reason the report
 * prints. Checked in order; the first match wins. Keys carried to settings or the node config are
 * handled in emqx-core.ts before these rules are consulted. "(gap)" marks a feature modmq does not
 * have yet, as opposed to something that has no meaning in modmq.
 */

export interface DropPattern {
  match: RegExp;
  reason: string;
}

const ERLANG_VM = 'Erlang VM tuning: no equivalent in a Node.js process';
const LISTENER_TUNING = 'listener socket tuning (acceptors, buffers, limits, timeouts) is not configurable in modmq yet (gap)';

export const CORE_DROPS: readonly DropPattern[] = [
  // Erlang distribution and the node process.
  { match: /^node\.cookie$/, reason: 'Erlang distribution cookie: modmq nodes form a cluster through the shared Redis config store' },
  { match: /^node\.(dist_|ssl_dist_optfile$)/, reason: 'Erlang distribution: modmq nodes do not use Erlang distribution' },
  { match: /^node\.crash_dump$/, reason: 'Erlang crash dump path: no equivalent in a Node.js process' },
  { match: /^node\./, reason: ERLANG_VM },
  { match: /^rpc\./, reason: 'gen_rpc between Erlang nodes: modmq nodes share state through Redis' },
  { match: /^cluster\./, reason: 'Erlang cluster discovery (ekka): modmq nodes join by sharing the Redis config store' },
  { match: /^(sysmon|os_mon|vm_mon)\./, reason: 'Erlang VM and OS monitors: use the process metrics at /metrics instead' },
  { match: /^alarm\./, reason: 'EMQX alarms are not implemented in modmq (gap)' },
  // Logging: level is carried; the rest belongs to the Erlang logger.
  { match: /^(log|lager)\./, reason: 'modmq logs JSON lines (pino) to stdout: log files, rotation, formatter and overload protection are not configurable (only log.level is carried)' },
  // Paths of the plugin system.
  { match: /^plugins\./, reason: 'plugin directories: modmq has no plugins, modules are in the cluster document' },
  { match: /^modules\.loaded_file$/, reason: 'path of data/loaded_modules: module enablement is in the cluster document' },
  // Listeners: the external ones are carried key by key in emqx-core.ts.
  { match: /^listener\.[a-z]+\.[^.]+\.access\./, reason: 'per-listener IP allow/deny rules are not supported yet (gap); express them as ACL rules with ipaddr' },
  { match: /^listener\.[a-z]+\.[^.]+\.zone$/, reason: "zones are not supported: every modmq listener applies the 'external' zone's policy (which is what client listeners used)" },
  { match: /^listener\.[a-z]+\.[^.]+\.(proxy_protocol|proxy_protocol_timeout|proxy_address_header|proxy_port_header)$/, reason: 'PROXY protocol / forwarded headers are not supported yet (gap)' },
  { match: /^listener\.[a-z]+\.[^.]+\.(peer_cert_as_clientid|peer_cert_as_username)$/, reason: 'client id / username from the peer certificate is not supported yet (gap)' },
  { match: /^listener\.(ssl|wss)\.[^.]+\.(ciphers|psk_ciphers|tls_versions|dhfile|key_password|depth|secure_renegotiate|reuse_sessions|honor_cipher_order|partial_chain|log_level|gc_after_handshake|hibernate_after|verify_peer_ext_key_usage)$/, reason: 'TLS tuning is not configurable in modmq yet (gap): Node.js defaults apply' },
  { match: /^listener\.(ssl|wss)\.[^.]+\.(enable_crl_check|crl_cache_urls|enable_ocsp_stapling|ocsp_\w+)$/, reason: 'CRL checking and OCSP stapling are not supported yet (gap)' },
  { match: /^listener\.(ssl|wss)\.[^.]+\.fail_if_no_peer_cert$/, reason: "modmq's listener 'verify' always requires a client certificate; see the listener's verify key" },
  { match: /^listener\.(ws|wss)\.[^.]+\.(compress|deflate_opts\.\w+|check_origin_enable|check_origins|allow_origin_absence|supported_subprotocols|fail_if_no_subprotocol|verify_protocol_header|mqtt_piggyback|max_frame_size|idle_timeout)$/, reason: 'WebSocket options (compression, origin check, subprotocols, frame size) are not configurable yet (gap)' },
  { match: /^listener\.[a-z]+\.[^.]+\.[\w.]+$/, reason: LISTENER_TUNING },
  { match: /^listener\.[a-z]+\.[^.]+$/, reason: "modmq has one listener per protocol: only the 'external' listener's address is carried (gap: more listeners)" },
  // Broker internals and MQTT protocol options.
  { match: /^broker\.(\$name\.|[^.]+\.)?shared_subscription_strategy$/, reason: 'shared subscriptions are not supported yet (gap)' },
  { match: /^broker\.shared_dispatch_ack_enabled$/, reason: 'shared subscriptions are not supported yet (gap)' },
  { match: /^broker\.sys_(interval|heartbeat)$/, reason: '$SYS publish intervals are fixed in modmq (gap)' },
  { match: /^broker\./, reason: 'Erlang broker internals (route locks, session registry): no equivalent' },
  { match: /^mqtt\.(shared_subscription|exclusive_subscription)$/, reason: 'shared / exclusive subscriptions are not supported yet (gap)' },
  { match: /^mqtt\./, reason: 'MQTT protocol limits (packet size, qos, topic levels, aliases) are not configurable in modmq yet (gap)' },
  // Zones: the external zone's policy keys are carried to settings in emqx-core.ts.
  { match: /^zone\.[^.]+\.(enable_ban)$/, reason: 'the banned-clients list is not supported yet (gap)' },
  { match: /^zone\.[^.]+\.(enable_flapping_detect)$/, reason: 'flapping detection is not supported yet (gap)' },
  { match: /^zone\.[^.]+\.(mountpoint)$/, reason: 'mountpoints are not supported yet (gap)' },
  { match: /^zone\.[^.]+\.(bypass_auth_plugins)$/, reason: 'per-zone auth bypass is not supported: every listener runs the auth chain (gap)' },
  { match: /^zone\.[^.]+\.(enable_stats|latency_samples)$/, reason: 'per-zone statistics switches: modmq always collects metrics' },
  { match: /^zone\.[^.]+\.(force_gc_policy|force_shutdown_policy|hibernate_after)$/, reason: 'Erlang process GC / shutdown policy: no equivalent' },
  { match: /^zone\.[^.]+\.(publish_limit|rate_limit\.\w+|quota\.\w+|conn_congestion\.\w+)$/, reason: 'rate limits, quotas and congestion alarms are not supported yet (gap)' },
  { match: /^zone\.[^.]+\./, reason: 'MQTT session and protocol options per zone (keepalive, inflight, queues, expiry, limits) are not configurable in modmq yet (gap)' },
  // Other top-level keys.
  { match: /^flapping_detect_policy$/, reason: 'flapping detection is not supported yet (gap)' },
  { match: /^telemetry\./, reason: 'EMQX telemetry reporting: not applicable' },
  { match: /^(special_auth_module|alias_enrichment_module)$/, reason: 'EMQX internal extension hook (module atom): not applicable' },
  { match: /^crl_cache_/, reason: 'TLS CRL checking is not supported yet (gap)' },
  { match: /^module\./, reason: 'no mapping claims this module key (its module is not migrated)' },
];

export function dropReason(key: string): string | undefined {
  return CORE_DROPS.find((rule) => rule.match.test(key))?.reason;
}
