/**
 * Which 4.x conf file a key belongs to, for a key no file of the node has (an `EMQX_*` variable
 * adds it "as if it were in the owning file"). Each plugin's cuttlefish schema owns its key prefixes
 * (legacy-plugins.md, schema-keys.json of 4.0–4.4); everything else belongs to etc/emqx.conf.
 */
import type { LegacyNode } from '../legacy-node.js';

/** Plugin -> key prefixes of its schema. Where two plugins share a prefix, the newer plugin comes first. */
const PLUGIN_PREFIXES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['emqx_auth_http', ['auth.http.']],
  ['emqx_auth_jwt', ['auth.jwt.']],
  ['emqx_auth_ldap', ['auth.ldap.']],
  ['emqx_auth_mongo', ['auth.mongo.']],
  ['emqx_auth_mysql', ['auth.mysql.']],
  ['emqx_auth_pgsql', ['auth.pgsql.']],
  ['emqx_auth_redis', ['auth.redis.']],
  ['emqx_auth_mnesia', ['auth.mnesia.', 'auth.user.', 'auth.client.']],
  ['emqx_auth_username', ['auth.user.']],
  ['emqx_auth_clientid', ['auth.client.']],
  ['emqx_bridge_mqtt', ['bridge.mqtt.']],
  ['emqx_coap', ['coap.']],
  ['emqx_dashboard', ['dashboard.']],
  ['emqx_exhook', ['exhook.']],
  ['emqx_extension_hook', ['exhook.drivers.']],
  ['emqx_exproto', ['exproto.']],
  ['emqx_lwm2m', ['lwm2m.']],
  ['emqx_management', ['management.']],
  ['emqx_prometheus', ['prometheus.']],
  ['emqx_statsd', ['statsd.', 'prometheus.']],
  ['emqx_psk_file', ['psk.file.']],
  ['emqx_reloader', ['reloader.']],
  ['emqx_retainer', ['retainer.']],
  ['emqx_rule_engine', ['rule_engine.']],
  ['emqx_sn', ['mqtt.sn.']],
  ['emqx_stomp', ['stomp.']],
  ['emqx_telemetry', ['telemetry.']],
  ['emqx_web_hook', ['web.hook.']],
];

/**
 * The plugin owning `key`, or undefined for emqx.conf. Among plugins whose prefix matches (longest
 * prefix first), one that has a conf file on this node wins; otherwise the first listed.
 */
export function pluginOwningKey(key: string, node: Pick<LegacyNode, 'plugins'>): string | undefined {
  const candidates: Array<{ plugin: string; length: number; order: number }> = [];
  PLUGIN_PREFIXES.forEach(([plugin, prefixes], order) => {
    const hit = prefixes.filter((p) => key.startsWith(p)).reduce((best, p) => Math.max(best, p.length), -1);
    if (hit >= 0) candidates.push({ plugin, length: hit, order });
  });
  if (candidates.length === 0) return undefined;
  candidates.sort((a, b) => b.length - a.length || a.order - b.order);
  const longest = candidates.filter((c) => c.length === candidates[0]!.length);
  return (longest.find((c) => node.plugins.has(c.plugin)) ?? longest[0]!).plugin;
}
