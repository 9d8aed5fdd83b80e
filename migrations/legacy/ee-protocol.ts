/**
 * EMQX Enterprise 4.x protocol modules (`mqtt_sn_protocol`, `coap_protocol`, ... in a `data export`):
 * every one has a `listeners[]` block (modules-catalog.md §1.7) plus its own params. This file turns the
 * common listener block into ours and gives each gateway mapping a small `fromEnterprise` builder.
 */
import { eeFile } from './gateway-listeners.js';
import type { ForwardResult, KeyOutcome } from './mapping.js';
import type { Location } from '../../src/migrator/legacy-node.js';

type Json = Record<string, unknown>;

const msToDuration = (v: unknown): string | undefined => {
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n % 1000 === 0 && n !== 0 ? `${n / 1000}s` : `${n}ms`;
  if (typeof v === 'string' && /^[0-9]+(ms|s|m|h|d)$/.test(v)) return v;
  return undefined;
};
const bytes = (v: unknown): string | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? `${v}B` : typeof v === 'string' && /^[0-9]+(B|KB|MB|GB)$/.test(v) ? v : undefined);
const intOf = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : undefined);
const boolOf = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined);
const listOf = (v: unknown): string[] | undefined => {
  const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : [];
  const out = items.map((s) => s.trim()).filter(Boolean);
  return out.length ? out : undefined;
};

function put(target: Json, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

/** One EE listener -> our listener object (unknown EE fields are reported by the caller's warnings). */
export function eeListener(item: Json, index: number, allowed: readonly string[]): { listener?: Json; problem?: string } {
  const type = String(item['listener_type'] ?? allowed[0]);
  if (!allowed.includes(type)) return { problem: `listener ${index + 1}: type ${type} is not one of ${allowed.join(', ')}` };
  const bind = String(item['listen_on'] ?? '').replace(/^([0-9a-fA-F:]*:[0-9a-fA-F:]*):([0-9]+)$/, '[$1]:$2');
  if (!bind) return { problem: `listener ${index + 1}: listen_on is missing` };
  const l: Json = { name: index === 0 ? 'default' : `${type}_${index + 1}`, type, bind };
  put(l, 'acceptors', intOf(item['acceptors']));
  put(l, 'max_connections', intOf(item['max_connections']));
  put(l, 'max_conn_rate', intOf(item['max_conn_rate']));
  put(l, 'proxy_protocol', boolOf(item['proxy_protocol']));
  put(l, 'proxy_protocol_timeout', msToDuration(item['proxy_protocol_timeout']));
  const sock: Json = {};
  put(sock, 'active_n', intOf(item['active_n']));
  put(sock, 'recbuf', bytes(item['recbuf']));
  put(sock, 'sndbuf', bytes(item['sndbuf']));
  put(sock, 'reuseaddr', boolOf(item['reuseaddr']));
  if (type === 'tcp' || type === 'ssl') {
    put(sock, 'backlog', intOf(item['backlog']));
    put(sock, 'send_timeout', msToDuration(item['send_timeout']));
    put(sock, 'send_timeout_close', boolOf(item['send_timeout_close']));
    put(sock, 'nodelay', boolOf(item['nodelay']));
    if (Object.keys(sock).length) l['tcp_options'] = sock;
  } else if (Object.keys(sock).length) l['udp_options'] = sock;
  if (type === 'ssl' || type === 'dtls') {
    const tls: Json = {};
    put(tls, 'certfile', eeFile(item['certfile']));
    put(tls, 'keyfile', eeFile(item['keyfile']));
    put(tls, 'cacertfile', eeFile(item['cacertfile']));
    put(tls, 'verify', item['verify'] === 'verify_peer' || item['verify'] === true ? 'verify_peer' : item['verify'] === undefined ? undefined : 'verify_none');
    put(tls, 'fail_if_no_peer_cert', boolOf(item['fail_if_no_peer_cert']));
    put(tls, 'versions', listOf(item['versions'] ?? item['tls_versions']));
    const ciphers = listOf(item['ciphers']);
    // EE offers the words default|psk: they select cipher sets, not names
    if (ciphers && !(ciphers.length === 1 && (ciphers[0] === 'default' || ciphers[0] === 'psk'))) tls['ciphers'] = ciphers;
    put(tls, 'handshake_timeout', msToDuration(item['handshake_timeout']));
    l[type === 'ssl' ? 'ssl_options' : 'dtls_options'] = tls;
  }
  return { listener: l };
}

export interface EeParam {
  /** EE param name. */
  from: string;
  /** JSON pointer in our config. */
  pointer: string;
  convert?: (v: unknown) => unknown;
  secret?: boolean;
}

export const ee = { msToDuration, bytes, intOf, boolOf, listOf };

/**
 * Builds a fromEnterprise: params by table, `listeners[]` by eeListener; every EE param gets a key
 * outcome (`<type>.<param>` at the module's location), unknown params are not-mapped with a warning.
 */
export function eeProtocol(
  moduleType: string,
  listenerTypes: readonly string[],
  params: EeParam[],
  ignored: Record<string, string> = {},
  after?: (config: Json, ee: Json, result: ForwardResult) => void,
): (config: Json, location: Location) => ForwardResult {
  return (eeConfig, location) => {
    const config: Json = {};
    const keys: KeyOutcome[] = [];
    const result: ForwardResult = { config, keys, warnings: [] };
    for (const [name, value] of Object.entries(eeConfig)) {
      const key = `${moduleType}.${name}`;
      if (name === 'listeners' && Array.isArray(value)) {
        const listeners: Json[] = [];
        value.forEach((item, i) => {
          const r = eeListener((item ?? {}) as Json, i, listenerTypes);
          if (r.listener) listeners.push(r.listener);
          else result.warnings.push({ code: 'invalid-value', message: `${moduleType}: ${r.problem}`, location });
        });
        if (listeners.length) config['listeners'] = listeners;
        keys.push({ key, location, class: 'mapped', target: `${moduleType}#/listeners` });
        continue;
      }
      const param = params.find((p) => p.from === name);
      if (param) {
        const v = param.convert ? param.convert(value) : value;
        if (v === undefined) {
          keys.push({ key, location, class: 'not-mapped', reason: `invalid value ${JSON.stringify(value)}` });
          result.warnings.push({ code: 'invalid-value', message: `${key}: invalid value ${JSON.stringify(value)}`, location });
          continue;
        }
        setPointer(config, param.pointer, v);
        keys.push({ key, location, class: 'mapped', target: `${moduleType}#${param.pointer}`, ...(param.secret ? { secret: true } : {}) });
      } else if (name in ignored) {
        keys.push({ key, location, class: 'not-mapped', reason: ignored[name]! });
      } else {
        keys.push({ key, location, class: 'not-mapped', reason: `unknown parameter of the EE ${moduleType} module` });
        result.warnings.push({ code: 'unknown-key', message: `${key} is not a known parameter`, location });
      }
    }
    after?.(config, eeConfig, result);
    return result;
  };
}

function setPointer(root: Json, pointer: string, value: unknown): void {
  const tokens = pointer.split('/').slice(1);
  let node = root;
  tokens.forEach((t, i) => {
    if (i === tokens.length - 1) node[t] = value;
    else node = (node[t] ??= {}) as Json;
  });
}
