/**
 * emqx_exhook (4.3/4.4) and the EE `exhook` module -> exhook. Named servers `exhook.server.<name>.*`
 * become `servers[]` in file order; the plugin-wide request_timeout / request_failed_action /
 * auto_reconnect / pool_size are copied onto every server (reverse takes them from the first).
 * emqx_extension_hook (4.1/4.2, erlport drivers) has no gRPC equivalent: every key is not-mapped.
 */
import { defineMapping } from './define-mapping.js';
import { bool, bytesize, duration, enumOf, int, str, type Codec } from './codecs.js';
import { eeFile } from './gateway-listeners.js';
import type { KeyOutcome } from './mapping.js';

const TYPE = 'exhook';
const GLOBAL = ['request_timeout', 'failed_action', 'auto_reconnect', 'pool_size'] as const;

/** `false` or a duration. */
const reconnect: Codec<string | false> = {
  name: 'false | duration',
  decode: (raw) => (raw === 'false' ? false : duration.decode(raw)),
  encode: (v) => (v === false ? 'false' : duration.encode(v)),
};

export const emqxExhook = defineMapping({
  source: 'emqx_exhook',
  moduleType: TYPE,
  loadedAs: ['emqx_exhook'],
  fields: [
    { key: 'exhook.request_failed_action', pointer: '/_g/failed_action', codec: enumOf('deny', 'ignore'), legacyDefault: 'deny' },
    { key: 'exhook.request_timeout', pointer: '/_g/request_timeout', codec: duration, legacyDefault: '5s' },
    { key: 'exhook.auto_reconnect', pointer: '/_g/auto_reconnect', codec: reconnect, legacyDefault: '60s' },
    { key: 'exhook.pool_size', pointer: '/_g/pool_size', codec: int },
    { key: 'exhook.hook_priority', pointer: '/hook_priority', codec: int, legacyDefault: '0' },
    { key: 'exhook.server.$name.url', pointer: '/_srv/$name/url', codec: str },
    { key: 'exhook.server.$name.ssl.cacertfile', pointer: '/_srv/$name/ssl/cacertfile', codec: str },
    { key: 'exhook.server.$name.ssl.certfile', pointer: '/_srv/$name/ssl/certfile', codec: str },
    { key: 'exhook.server.$name.ssl.keyfile', pointer: '/_srv/$name/ssl/keyfile', codec: str },
    { key: 'exhook.server.$name.socket_options.keepalive', pointer: '/_srv/$name/socket_options/keepalive', codec: bool },
    { key: 'exhook.server.$name.socket_options.nodelay', pointer: '/_srv/$name/socket_options/nodelay', codec: bool },
    { key: 'exhook.server.$name.socket_options.recbuf', pointer: '/_srv/$name/socket_options/recbuf', codec: bytesize },
    { key: 'exhook.server.$name.socket_options.sndbuf', pointer: '/_srv/$name/socket_options/sndbuf', codec: bytesize },
  ],
  afterForward(config, _ctx, result) {
    const g = (config['_g'] as Record<string, unknown> | undefined) ?? {};
    const srv = (config['_srv'] as Record<string, Record<string, unknown>> | undefined) ?? {};
    delete config['_g'];
    delete config['_srv'];
    const names = Object.keys(srv);
    const servers: Record<string, unknown>[] = names.map((name) => ({ name, ...g, ...srv[name] }));
    if (servers.length) config['servers'] = servers;
    for (const k of result.keys) {
      const t = k.target ?? '';
      let m = /#\/_srv\/([^/]+)(\/.*)$/.exec(t);
      if (m) {
        k.target = `${TYPE}#/servers/${names.indexOf(m[1]!)}${m[2]}`;
        continue;
      }
      m = /#\/_g(\/.*)$/.exec(t);
      if (m) retargetGlobal(k, servers.length, m[1]!);
    }
    for (const s of servers) if (typeof s['url'] !== 'string') result.warnings.push({ code: 'missing-url', message: `exhook.server.${String(s['name'])}: no url; the server is invalid` });
  },
  beforeReverse(config) {
    const servers = (config['servers'] as Record<string, unknown>[] | undefined) ?? [];
    delete config['servers'];
    const first = servers[0] ?? {};
    config['_g'] = Object.fromEntries(GLOBAL.filter((k) => first[k] !== undefined).map((k) => [k, first[k]]));
    config['_srv'] = Object.fromEntries(
      servers.map((s) => {
        const rest: Record<string, unknown> = { ...s };
        for (const k of [...GLOBAL, 'name', 'enable']) delete rest[k];
        return [String(s['name']), rest];
      }),
    );
    return config;
  },
  enterpriseTypes: ['exhook'],
  fromEnterprise(eeConfig, location) {
    const keys: KeyOutcome[] = [];
    const server: Record<string, unknown> = { name: 'default' };
    const ssl: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(eeConfig)) {
      const key = `exhook.${name}`;
      const at = (pointer: string): KeyOutcome => ({ key, location, class: 'mapped', target: `${TYPE}#/servers/0${pointer}` });
      if (name === 'url' && typeof value === 'string') (server['url'] = value), keys.push(at('/url'));
      else if (['cacertfile', 'certfile', 'keyfile'].includes(name)) {
        const file = eeFile(value);
        if (file) (ssl[name] = file), keys.push(at(`/ssl/${name}`));
        else keys.push({ key, location, class: 'not-mapped', reason: 'empty file' });
      } else if (name === 'ssl') keys.push({ key, location, class: 'mapped', target: `${TYPE}#/servers/0/ssl` });
      else if (name === 'request_failed_action' && (value === 'deny' || value === 'ignore')) (server['failed_action'] = value), keys.push(at('/failed_action'));
      else if (name === 'request_timeout' && typeof value === 'string') (server['request_timeout'] = duration.decode(value)), keys.push(at('/request_timeout'));
      else if (name === 'pool_size' && Number.isInteger(value)) (server['pool_size'] = value), keys.push(at('/pool_size'));
      else keys.push({ key, location, class: 'not-mapped', reason: `unknown parameter of the EE exhook module` });
    }
    if (eeConfig['ssl'] === true && Object.keys(ssl).length) server['ssl'] = ssl;
    const config: Record<string, unknown> = server['url'] ? { servers: [server] } : {};
    return { config, keys, warnings: server['url'] ? [] : [{ code: 'missing-url', message: 'EE exhook module without url', location }] };
  },
});

function retargetGlobal(k: KeyOutcome, count: number, rest: string): void {
  if (count === 0) {
    Object.assign(k, { class: 'not-mapped', reason: 'no exhook.server.<name>.url is set: a global option without a server has no effect' });
    delete k.target;
  } else k.target = `${TYPE}#/servers/*${rest}`; // copied onto every server
}

export const emqxExtensionHook = defineMapping({
  source: 'emqx_extension_hook',
  moduleType: null,
  loadedAs: ['emqx_extension_hook'],
  fields: [],
  notMapped: [
    {
      key: 'exhook.*',
      reason: 'emqx_extension_hook (4.1/4.2) runs python3/java code through erlport: no key maps to the gRPC exhook; port the hooks to a gRPC HookProvider server and configure the exhook module',
    },
  ],
});

