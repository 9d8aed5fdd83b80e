/**
 * 4.x plugins that have no module in modmq: every key is `not-mapped` with the plugin's reason,
 * except the few node-local ones. Decision: the dashboard's HTTP listener becomes the node's
 * management API address (`node#/api/...`), because modmq serves its API and Dashboard on one port;
 * the management plugin's own listener (8081) is therefore not carried.
 */
import type { ConfSetting } from '../../src/migrator/legacy-node.js';
import type { ForwardResult, KeyOutcome, LegacyMapping } from './mapping.js';
import { CoreValueError, parseBind } from './emqx-core-values.js';

interface UnmappedSpec {
  source: string;
  reason: string;
  /** Keys with a node-local target: key -> handler that returns node values. */
  nodeLocal?: Record<string, (raw: string) => Record<string, unknown>>;
}

function unmappedPlugin(spec: UnmappedSpec): LegacyMapping {
  return {
    source: spec.source,
    moduleType: null,
    loadedAs: [spec.source],
    forward(settings: readonly ConfSetting[]): ForwardResult {
      const keys: KeyOutcome[] = [];
      const node: Record<string, unknown> = {};
      const warnings: ForwardResult['warnings'] = [];
      for (const s of settings) {
        const local = spec.nodeLocal?.[s.key];
        if (local) {
          try {
            const values = local(s.value);
            Object.assign(node, values);
            keys.push({ key: s.key, location: s.location, class: 'node-local', target: `node#${Object.keys(values).join(',')}` });
            continue;
          } catch (error) {
            if (!(error instanceof CoreValueError)) throw error;
            warnings.push({ code: 'invalid-value', message: `${s.key}: ${error.message}`, location: s.location });
            keys.push({ key: s.key, location: s.location, class: 'not-mapped', reason: `invalid value: ${error.message}` });
            continue;
          }
        }
        const outcome: KeyOutcome = { key: s.key, location: s.location, class: 'not-mapped', reason: spec.reason };
        if (/password|secret|cookie/.test(s.key)) outcome.secret = true;
        keys.push(outcome);
      }
      return Object.keys(node).length > 0 ? { node, keys, warnings } : { keys, warnings };
    },
    reverse: () => [],
  };
}

const apiAddress = (raw: string): Record<string, unknown> => {
  const { bind, port } = parseBind(raw);
  return bind === undefined ? { '/api/port': port } : { '/api/bind': bind, '/api/port': port };
};

export const dashboard = unmappedPlugin({
  source: 'emqx_dashboard',
  reason: 'the modmq Dashboard is served by the management API: its users are API admins (modmq start --admin-password), its HTTPS/tuning options are not configurable (gap)',
  nodeLocal: { 'dashboard.listener.http': apiAddress },
});

export const management = unmappedPlugin({
  source: 'emqx_management',
  reason: 'the modmq management API listens on the dashboard address (node#/api); API apps live in modmq API keys (modmq api-keys), not in this file',
});

export const ruleEngine = unmappedPlugin({ source: 'emqx_rule_engine', reason: 'the rule engine is not part of modmq (its rules and resources live in Mnesia, not in this file)' });
export const bridgeMqtt = unmappedPlugin({ source: 'emqx_bridge_mqtt', reason: 'MQTT bridges are not supported yet (gap)' });
export const luaHook = unmappedPlugin({ source: 'emqx_lua_hook', reason: 'Lua hooks are not supported: port the scripts to an exhook server' });
export const telemetry = unmappedPlugin({ source: 'emqx_telemetry', reason: 'EMQX telemetry reporting: not applicable' });
export const pluginTemplate = unmappedPlugin({ source: 'emqx_plugin_template', reason: 'the plugin template is an example plugin with no behaviour' });
export const reloader = unmappedPlugin({ source: 'emqx_reloader', reason: 'hot code reloading of Erlang modules: not applicable' });
export const sasl = unmappedPlugin({ source: 'emqx_sasl', reason: 'the SASL plugin has no settings; SCRAM users are in Mnesia (auth-scram module)' });
export const modules = unmappedPlugin({ source: 'emqx_modules', reason: 'the EE modules plugin has no settings: modules come from the EE export' });

/** Every plugin without a module, in report order. */
export const unmappedPlugins: readonly LegacyMapping[] = [
  dashboard, management, ruleEngine, bridgeMqtt, luaHook, telemetry, pluginTemplate, reloader, sasl, modules,
];
