/**
 * Round-trip law of MA's mappings: forward(parse(render(reverse(c)))) = c for arbitrary valid configs
 * (compared with schema defaults applied), restricted to what the 4.x files can express (noted inline).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authMysql } from '../../migrations/legacy/auth-mysql.js';
import { authPgsql } from '../../migrations/legacy/auth-pgsql.js';
import { authRedis } from '../../migrations/legacy/auth-redis.js';
import { authMongo } from '../../migrations/legacy/auth-mongo.js';
import { authLdap } from '../../migrations/legacy/auth-ldap.js';
import { authHttp } from '../../migrations/legacy/auth-http.js';
import { authJwt } from '../../migrations/legacy/auth-jwt.js';
import { authMnesia } from '../../migrations/legacy/auth-mnesia.js';
import { authUsername } from '../../migrations/legacy/auth-username.js';
import { authClientid } from '../../migrations/legacy/auth-clientid.js';
import { pskFile, renderPskFile } from '../../migrations/legacy/psk-file.js';
import { aclFileFromNode, renderAclConf } from '../../migrations/legacy/acl-file.js';
import type { LegacyMapping } from '../../migrations/legacy/mapping.js';
import { parseAclConf } from '../../src/migrator/readers/acl-conf.js';
import { parsePskFile } from '../../src/migrator/readers/psk.js';
import { legacyNode, roundTrip, withDefaults } from '../fixtures/migrate-ma/harness.js';

// ---- value arbitraries (no `$`: `$(` is a substitution; no edge blanks: cuttlefish trims them) ----
const text = fc.stringMatching(/^[A-Za-z0-9%@:/._-]([A-Za-z0-9%@:/._ '=-]{0,16}[A-Za-z0-9%@:/._-])?$/);
const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
const host = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z]{2,4})?$/);
const port = fc.integer({ min: 1, max: 65535 });
const hostPort = fc.tuple(host, port).map(([h, p]) => `${h}:${p}`);
const path = fc.stringMatching(/^[a-z][a-z0-9/._-]{0,20}$/);
const duration = fc.tuple(fc.integer({ min: 1, max: 999 }), fc.constantFrom('ms', 's', 'm', 'h', 'd')).map(([n, u]) => `${n}${u}`);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const HASHES = ['plain', 'md5', 'sha', 'sha256', 'sha512', 'bcrypt'] as const;
const passwordHash = fc.oneof(
  fc.record({ name: fc.constantFrom(...HASHES), salt_position: fc.constantFrom('disable', 'prefix', 'suffix') }),
  fc.record({
    name: fc.constant('pbkdf2'),
    mac_fun: fc.constantFrom('md4', 'md5', 'ripemd160', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'),
    iterations: fc.integer({ min: 1, max: 100000 }),
    dk_length: fc.integer({ min: 1, max: 128 }),
  }),
);
const tls = (extra: Record<string, fc.Arbitrary<unknown>> = {}) =>
  fc.record(
    { enable: fc.boolean(), cafile: path, certfile: path, keyfile: path, verify: fc.boolean(), server_name_indication: host, ...extra },
    { requiredKeys: ['enable', 'verify'] },
  );
const strip = <T extends Record<string, unknown>>(o: T) => JSON.parse(JSON.stringify(o)) as T; // drops undefined

function law(mapping: LegacyMapping, type: string, arb: fc.Arbitrary<Record<string, unknown>>, version?: string) {
  it(`${mapping.source} -> ${type}`, () => {
    fc.assert(
      fc.property(arb, (raw) => {
        const c = withDefaults(type, strip(raw));
        assert.deepEqual(roundTrip(mapping, type, c, version), c);
      }),
      { numRuns: 150 },
    );
  });
}

const sql = {
  server: hostPort, database: text, username: text, password: text, pool_size: fc.integer({ min: 1, max: 1024 }),
  password_hash: passwordHash, auth_query: text, super_query: text, acl_query: text, on_backend_error: fc.constant('ignore'),
};

describe('auth mappings: forward(reverse(c)) = c', () => {
  // 4.2+ mysql and mongo denied when the backend failed; pgsql and redis ignored: there is no key
  law(authMysql, 'auth-mysql', fc.record({ ...sql, on_backend_error: fc.constant('deny'), query_timeout: duration, ssl: tls() }));
  law(authPgsql, 'auth-postgresql', fc.record({
    ...sql, encoding: word,
    ssl: tls({ versions: fc.uniqueArray(fc.constantFrom('tlsv1.3', 'tlsv1.2', 'tlsv1.1', 'tlsv1'), { minLength: 1 }) }),
  }));
  law(authRedis, 'auth-redis', fc.record({
    redis_type: fc.constantFrom('single', 'sentinel', 'cluster'), servers: fc.array(hostPort, { minLength: 1, maxLength: 3 }),
    sentinel: text, database: fc.integer({ min: 0, max: 15 }), password: text, pool_size: fc.integer({ min: 1, max: 64 }),
    query_timeout: duration, ssl: tls(), password_hash: passwordHash, auth_cmd: text, super_cmd: text, acl_cmd: text,
  }));
  law(authMongo, 'auth-mongodb', fc.record({
    mongo_type: fc.constantFrom('single', 'unknown', 'sharded', 'rs'), servers: fc.array(hostPort, { minLength: 1, maxLength: 3 }),
    on_backend_error: fc.constant('deny'), srv_record: fc.boolean(), rs_set_name: text, database: text, username: text, password: text, auth_source: text,
    pool_size: fc.integer({ min: 1, max: 64 }), w_mode: fc.constantFrom('undef', 'safe', 'unsafe'), r_mode: fc.constantFrom('undef', 'master', 'slave_ok'),
    topology: fc.record({ pool_size: fc.nat(100), max_overflow: fc.nat(100), connect_timeout_ms: fc.nat(100000) }, { requiredKeys: [] }),
    query_timeout: duration, ssl: tls(),
    auth_query: fc.record({ collection: word, password_field: fc.array(word, { minLength: 1, maxLength: 2 }), password_hash: passwordHash, selector: fc.constantFrom('', 'username=%u', 'clientid=%c,x=1') }),
    super_query: fc.record({ enable: fc.boolean(), collection: word, super_field: word, selector: fc.constantFrom('', 'username=%u') }),
    acl_query: fc.record({ enable: fc.boolean(), collection: word, selector: fc.constantFrom('', 'username=%u'), selectors: fc.array(fc.constantFrom('username=%u', 'username=$all', 'clientid=%c'), { maxLength: 3 }) }),
  }), '4.4.19');
  law(authLdap, 'auth-ldap', fc.record({
    servers: fc.array(host, { minLength: 1, maxLength: 3 }), port, pool_size: fc.integer({ min: 1, max: 64 }), bind_dn: text,
    bind_password: text, // "" cannot be written and an absent key meant "public"
    timeout: duration, ssl: tls(), device_dn: text, match_objectclass: word, username_attribute: word, password_attribute: word,
    custom_base_dn: text, bind_as_user: fc.boolean(),
    filters: fc.array(fc.record({ key: word, value: text, op: fc.constantFrom('and', 'or') }), { maxLength: 3 }),
  }), '4.4.19');
  const params = fc.dictionary(word, fc.constantFrom('%u', '%c', '%a', '%P', '%A', '%t', '%m', 'x1'), { minKeys: 1, maxKeys: 4 });
  const headers = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), text, { maxKeys: 3 });
  const request = (def: string) =>
    fc.record({ enable: fc.boolean(), url: fc.tuple(host, port, word).map(([h, p, w]) => `http://${h}:${p}/${w}`), method: fc.constantFrom('post', 'get'), headers, params })
      .map((r) => (r.enable ? r : { ...r, url: def })); // a disabled request has no URL key in 4.x
  law(authHttp, 'auth-http', fc.record({
    auth_req: request('http://127.0.0.1:80/mqtt/auth'), super_req: request('http://127.0.0.1:80/mqtt/superuser'), acl_req: request('http://127.0.0.1:80/mqtt/acl'),
    request_timeout: duration, connect_timeout: duration, pool_size: fc.integer({ min: 1, max: 64 }), pipelining: fc.integer({ min: 1, max: 1000 }),
    ssl: fc.record({ cafile: path, verify: fc.boolean(), server_name_indication: host }, { requiredKeys: ['verify'] }),
    on_backend_error: fc.constant('deny'), // what 4.x did: there is no key for it
  }));
  law(authJwt, 'auth-jwt', fc.record({
    from: fc.constantFrom('password', 'username'), secret: fc.oneof(fc.constant(''), text), pubkey: fc.oneof(fc.constant(''), path),
    jwks_url: fc.oneof(fc.constant(''), text), jwks_refresh_interval: duration, signature_format: fc.constantFrom('der', 'raw'),
    verify_claims: fc.boolean(), claims: fc.dictionary(word, fc.oneof(fc.constantFrom('%u', '%c'), text), { maxKeys: 3 }), acl_claim_name: word,
  }));
  const seed = (id: 'username' | 'clientid') => fc.array(fc.record({ [id]: text, password: text }), { maxLength: 3 }); // no superuser key in 4.3+
  law(authMnesia, 'auth-builtin-db', fc.record({ password_hash: fc.constantFrom('plain', 'md5', 'sha', 'sha256', 'sha512'), users: seed('username'), clients: seed('clientid') }));
  law(authUsername, 'auth-builtin-db', fc.record({ password_hash: fc.constantFrom('plain', 'md5', 'sha', 'sha256'), users: seed('username') }));
  law(authClientid, 'auth-builtin-db', fc.record({ password_hash: fc.constantFrom('plain', 'md5', 'sha', 'sha256'), clients: seed('clientid') }));

  it('emqx_psk_file -> auth-psk (psk.txt written with renderPskFile)', () => {
    const arb = fc.record({
      delimiter: fc.constantFrom(':', ';', '|'),
      entries: fc.uniqueArray(fc.record({ identity: fc.stringMatching(/^[a-z0-9_-]{1,10}$/), secret: fc.stringMatching(/^[A-Za-z0-9:;|]{1,12}$/) }), { selector: (e) => e.identity, maxLength: 4 }),
    });
    fc.assert(
      fc.property(arb, (raw) => {
        const c = withDefaults('auth-psk', raw);
        const psk = parsePskFile(renderPskFile(c), 'etc/psk.txt', c.delimiter as string);
        assert.deepEqual(psk.problems, []);
        const node = legacyNode('4.4.19', { psk: { file: 'etc/psk.txt', entries: psk.entries } });
        assert.deepEqual(roundTrip(pskFile, 'auth-psk', c, '4.4.19', node), c);
      }),
      { numRuns: 150 },
    );
  });

  it('acl.conf -> acl-file (acl.conf written with renderAclConf)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9 _@.:"\\-]{1,10}$/).filter((s) => s !== 'all');
    const cidr = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.option(fc.integer({ min: 0, max: 32 }), { nil: undefined }))
      .map(([a, b, c, d, bits]) => `${a}.${b}.${c}.${d}${bits === undefined ? '' : `/${bits}`}`);
    const { who } = fc.letrec((tie) => ({
      who: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constant({ kind: 'all' }),
        fc.record({ kind: fc.constantFrom('user', 'client'), value: name }),
        fc.record({ kind: fc.constantFrom('user', 'client'), all: fc.constant(true) }),
        fc.record({ kind: fc.constant('ipaddr'), cidr }),
        fc.record({ kind: fc.constant('ipaddrs'), cidrs: fc.array(cidr, { minLength: 1, maxLength: 3 }) }),
        fc.record({ kind: fc.constantFrom('and', 'or'), of: fc.array(tie('who'), { minLength: 1, maxLength: 3 }) }),
      ),
    }));
    const topic = fc.oneof(fc.record({ filter: fc.constantFrom('#', '$SYS/#', 'a/+/b', 'devices/%c/#', 'users/%u') }), fc.record({ eq: fc.constantFrom('#', 'a/+') }));
    const rule = fc.oneof(
      fc.record({ permission: fc.constantFrom('allow', 'deny'), who, access: fc.constantFrom('publish', 'subscribe', 'pubsub'), topics: fc.array(topic, { maxLength: 3 }) }),
      fc.record({ permission: fc.constantFrom('allow', 'deny'), who: fc.constant({ kind: 'all' }), access: fc.constant('pubsub') }),
    );
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 6 }), (rules) => {
        const c = withDefaults('acl-file', { rules });
        const parsed = parseAclConf(renderAclConf(c), 'etc/acl.conf', '4.4.19');
        assert.deepEqual(parsed.problems, []);
        const back = aclFileFromNode(legacyNode('4.4.19', { acl: { file: 'etc/acl.conf', rules: parsed.rules } }));
        assert.deepEqual(withDefaults('acl-file', back.config), c);
      }),
      { numRuns: 150 },
    );
  });
});
