/**
 * emqx_auth_http (4.0–4.4) -> auth-http. Renamed in 4.3 (old keys unknown to 4.3, so each node has
 * one shape; reverse writes the 4.3 shape): `auth.http.<r>_req` (URL) -> `auth.http.<r>_req.url`;
 * `auth.http.<r>_req.content_type = json|x-www-form-urlencoded` (4.1+) -> header `content-type`;
 * `auth.http.header.<Name>` (all requests) -> `auth.http.<r>_req.headers.<name>`;
 * `auth.http.request.timeout|connect_timeout` -> `auth.http.timeout|connect_timeout`;
 * `auth.http.request.retry_*` removed. 4.3 header names are normalised (`_` -> `-`, lower case).
 * A request whose URL key is absent was disabled. A failing request made 4.x deny (server
 * unavailable): the migrated config says `on_backend_error: deny`.
 */
import { CodecError, bool, durationIn, enumOf, int, str, type Codec } from './codecs.js';
import { defineMapping, type FieldRule } from './define-mapping.js';
import { tlsFields } from './auth-common.js';
import {
  asDuration, asInt, asString, asStringMap, eeTls, enterpriseMapper,
} from './auth-enterprise.js';

const REQUESTS = ['auth', 'super', 'acl'] as const;

/** `k=v,k2=v2` (split like `string:tokens`: values cannot hold `,` or `=`) <-> `{k: v, k2: v2}`. */
export const httpParams: Codec<Record<string, string>> = {
  name: 'parameters k=v,k2=v2',
  decode(raw) {
    const out: Record<string, string> = {};
    for (const pair of raw.split(',').filter((p) => p !== '')) {
      const parts = pair.split('=').filter((p) => p !== '');
      if (parts.length !== 2) throw new CodecError(`${JSON.stringify(pair)} is not name=value`);
      out[parts[0]!.trim()] = parts[1]!.trim();
    }
    return out;
  },
  encode(v) {
    return Object.entries(v)
      .map(([k, x]) => {
        if (/[,=]/.test(k + x) || k === '' || x === '') throw new CodecError(`parameter ${k}=${x} cannot be written in 4.x syntax`);
        return `${k}=${x}`;
      })
      .join(',');
  },
};

/** A timeout where 0 meant "never" (4.0/4.1 `request.timeout` default): modmq always has one. */
const timeout: Codec<string> = {
  name: 'duration (bare numbers in ms)',
  decode(raw) {
    const d = durationIn('ms').decode(raw);
    if (/^0+(ms|s|m|h|d)$/.test(d)) throw new CodecError('0 meant "no timeout" in 4.x; modmq always times out (default 5s kept)');
    return d;
  },
  encode: (v) => durationIn('ms').encode(v),
};

/** `enable_pipelining`: true | false | N. */
const pipelining: Codec<number> = {
  name: 'true|false|integer',
  decode(raw) {
    if (raw === 'false') return 1;
    if (raw === 'true') return 100;
    const n = int.decode(raw);
    if (n < 1) throw new CodecError(`${raw} is not a positive number of requests`);
    return n;
  },
  encode: (v) => String(v),
};

const contentType = enumOf('json', 'x-www-form-urlencoded');
const legacyContentType: Codec<string> = {
  name: contentType.name,
  decode: (raw) => `application/${contentType.decode(raw)}`,
  encode: (v) => contentType.encode(v.replace(/^application\//, '') as 'json'),
};

const requestFields = (r: (typeof REQUESTS)[number]): FieldRule[] => [
  { key: `auth.http.${r}_req.url`, pointer: `/${r}_req/url`, codec: str },
  { key: `auth.http.${r}_req.method`, pointer: `/${r}_req/method`, codec: enumOf('post', 'get'), legacyDefault: 'post' },
  { key: `auth.http.${r}_req.headers.$name`, pointer: `/${r}_req/headers/$name`, codec: str, secret: true },
  { key: `auth.http.${r}_req.params`, pointer: `/${r}_req/params`, codec: httpParams },
];
const legacyRequestFields = (r: (typeof REQUESTS)[number]): FieldRule[] => [
  { key: `auth.http.${r}_req`, pointer: `/${r}_req/url`, codec: str },
  { key: `auth.http.${r}_req.content_type`, pointer: `/${r}_req/headers/content-type`, codec: legacyContentType },
];

const normaliseHeader = (name: string) => name.toLowerCase().replace(/_/g, '-');

export const authHttp = defineMapping({
  source: 'emqx_auth_http',
  moduleType: 'auth-http',
  loadedAs: ['emqx_auth_http'],
  fields: [
    ...REQUESTS.flatMap(requestFields),
    { key: 'auth.http.timeout', pointer: '/request_timeout', codec: timeout, legacyDefault: '5s' },
    { key: 'auth.http.connect_timeout', pointer: '/connect_timeout', codec: timeout, legacyDefault: '5s' },
    { key: 'auth.http.pool_size', pointer: '/pool_size', codec: int, legacyDefault: '8' },
    { key: 'auth.http.enable_pipelining', pointer: '/pipelining', codec: pipelining, legacyDefault: '100' },
    ...tlsFields({
      cafile: ['auth.http.ssl.cacertfile'],
      certfile: ['auth.http.ssl.certfile'],
      keyfile: ['auth.http.ssl.keyfile'],
      verify: { keys: ['auth.http.ssl.verify'], codec: bool },
      sni: ['auth.http.ssl.server_name_indication'],
    }),
    // 4.0–4.2 spellings (after the 4.3 ones: reverse writes the first field of a pointer)
    ...REQUESTS.flatMap(legacyRequestFields),
    { key: 'auth.http.header.$name', pointer: '/auth_req/headers/$name', codec: str, secret: true },
    { key: 'auth.http.request.timeout', pointer: '/request_timeout', codec: timeout },
    { key: 'auth.http.request.connect_timeout', pointer: '/connect_timeout', codec: timeout },
  ],
  notMapped: [
    { key: 'auth.http.request.retry_times', reason: 'request retries were removed in 4.3; modmq does not retry auth requests (on_backend_error decides)' },
    { key: 'auth.http.request.retry_interval', reason: 'request retries were removed in 4.3; modmq does not retry auth requests (on_backend_error decides)' },
    { key: 'auth.http.request.retry_backoff', reason: 'request retries were removed in 4.3; modmq does not retry auth requests (on_backend_error decides)' },
  ],
  afterForward(config, _ctx, result) {
    const req = (r: string) => ((config[`${r}_req`] ??= {}) as Record<string, unknown>);
    for (const outcome of result.keys) {
      const modern = /^auth\.http\.(auth|super|acl)_req\.headers\.(.+)$/.exec(outcome.key);
      const global = /^auth\.http\.header\.(.+)$/.exec(outcome.key);
      if (modern && outcome.target) {
        const headers = req(modern[1]!).headers as Record<string, string>;
        const name = normaliseHeader(modern[2]!);
        if (name !== modern[2]) {
          headers[name] = headers[modern[2]!]!;
          delete headers[modern[2]!];
          outcome.target = `auth-http#/${modern[1]}_req/headers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        }
      } else if (global && outcome.target) {
        const value = (req('auth').headers as Record<string, string>)[global[1]!]!;
        for (const r of REQUESTS) {
          const headers = (req(r).headers ??= {}) as Record<string, string>;
          if (r === 'auth') delete headers[global[1]!];
          headers[global[1]!.toLowerCase()] = value;
        }
        outcome.target = `auth-http#/auth_req/headers/${global[1]!.toLowerCase()}`;
        outcome.reason = 'global 4.0–4.2 header: applied to auth_req, super_req and acl_req';
      }
    }
    for (const r of REQUESTS) {
      req(r).enable = result.keys.some((k) => (k.key === `auth.http.${r}_req.url` || k.key === `auth.http.${r}_req`) && k.class !== 'not-mapped');
    }
    config.on_backend_error = 'deny';
  },
  beforeReverse(config) {
    for (const r of REQUESTS) {
      const q = config[`${r}_req`] as Record<string, unknown> | undefined;
      if (q && q.enable === false) delete q.url;
    }
    return config;
  },
  enterpriseTypes: ['http_authentication'],
  fromEnterprise: enterpriseMapper(
    'auth-http',
    {
      auth_req: { pointer: '/auth_req/url' },
      auth_req_params: { pointer: '/auth_req/params', convert: (v) => httpParams.decode(String(v)) },
      super_req: { pointer: '/super_req/url' },
      super_req_params: { pointer: '/super_req/params', convert: (v) => httpParams.decode(String(v)) },
      acl_req: { pointer: '/acl_req/url' },
      acl_req_params: { pointer: '/acl_req/params', convert: (v) => httpParams.decode(String(v)) },
      method: { pointer: '/auth_req/method', convert: (v) => String(asString(v, () => {})).toLowerCase() },
      req_content_type: { pointer: '/auth_req/headers/content-type' },
      http_headers: { pointer: '/auth_req/headers', convert: asStringMap },
      http_opts_retry_times: { drop: 'modmq does not retry auth requests (on_backend_error decides)' },
      http_opts_retry_interval: { drop: 'modmq does not retry auth requests (on_backend_error decides)' },
      http_opts_timeout: { pointer: '/request_timeout', convert: asDuration },
      http_opts_connect_timeout: { pointer: '/connect_timeout', convert: asDuration },
      pool_size: { pointer: '/pool_size', convert: asInt },
      ...eeTls,
      ssl: { drop: 'TLS follows the request URL scheme (https)' },
      tls_versions: { drop: 'auth-http uses the TLS versions of the runtime' },
    },
    (config, raw) => {
      // EE: one method, content type and header set for all three requests; an empty URL disables.
      const auth = (config.auth_req ??= {}) as Record<string, unknown>;
      const headers = { ...((auth.headers as Record<string, string>) ?? {}) };
      if (typeof raw.req_content_type === 'string') headers['content-type'] = raw.req_content_type;
      for (const r of REQUESTS) {
        const q = (config[`${r}_req`] ??= {}) as Record<string, unknown>;
        q.enable = typeof q.url === 'string' && q.url !== '';
        if (!q.enable) delete q.url;
        if (auth.method) q.method = auth.method;
        q.headers = Object.fromEntries(Object.entries(headers).map(([k, x]) => [normaliseHeader(k), x]));
      }
      config.on_backend_error = 'deny';
    },
  ),
});
