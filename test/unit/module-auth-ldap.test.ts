import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import fc from 'fast-check';
import { AndFilter, EqualityFilter, FilterParser, OrFilter, type Filter } from 'ldapts';
import { pino } from 'pino';
import type { ClientInfo, ConnectRequest } from '../../src/broker/hooks.js';
import { BackendGuard } from '../../src/modules/auth-common/index.js';
import { authLdap, type AuthLdapConfig } from '../../src/modules/auth-ldap/index.js';
import { LdapAuth, type LdapAuthRules } from '../../src/modules/auth-ldap/ldap-auth.js';
import type { LdapDirectory, LdapEntry, SearchAnswer } from '../../src/modules/auth-ldap/ldap-directory.js';
import { escapeDnValue, escapeFilterValue, searchBase, userFilter, type LdapSearchConfig } from '../../src/modules/auth-ldap/ldap-filter.js';
import { checkLdapPassword, ldapPasswordValue } from '../../src/modules/auth-ldap/ldap-password.js';

const log = pino({ level: 'silent' });

const SEARCH: LdapSearchConfig = {
  device_dn: 'ou=device,dc=emqx,dc=io',
  match_objectclass: 'mqttUser',
  username_attribute: 'uid',
  custom_base_dn: '${username_attr}=${user},${device_dn}',
  filters: [],
};

const valueOf = (f: Filter): string => {
  const v = (f as EqualityFilter).value;
  return Buffer.isBuffer(v) ? v.toString('utf8') : v;
};

/** Inverse of escapeDnValue for the property test (`\XX` hex and `\c` pairs). */
function unescapeDn(text: string): string {
  const chars = [...text]; // code points, not UTF-16 units
  const bytes: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\') {
      const hex = (chars[i + 1] ?? '') + (chars[i + 2] ?? '');
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(chars[i + 1]!, 'utf8'));
        i += 1;
      }
    } else {
      bytes.push(...Buffer.from(chars[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

describe('auth-ldap: filters and DNs (RFC 4515 / 4514)', () => {
  it('escapes the filter specials', () => {
    assert.equal(escapeFilterValue('*)(uid=*'), '\\2a\\29\\28uid=\\2a');
    assert.equal(escapeFilterValue('a\\b\u0000'), 'a\\5cb\\00');
    assert.equal(userFilter(SEARCH, 'alice'), '(&(objectClass=mqttUser)(uid=alice))');
  });

  it('property: any username parses back as exactly one equality value (no filter injection)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (username) => {
        const parsed = FilterParser.parseString(userFilter(SEARCH, username));
        assert.ok(parsed instanceof AndFilter);
        assert.equal(parsed.filters.length, 2);
        assert.ok(parsed.filters[1] instanceof EqualityFilter);
        assert.equal((parsed.filters[1] as EqualityFilter).attribute, 'uid');
        assert.equal(valueOf(parsed.filters[1]!), username);
      }),
      { numRuns: 300 },
    );
  });

  it('filters join left to right with ${user}; the user value stays escaped', () => {
    const cfg: LdapSearchConfig = {
      ...SEARCH,
      filters: [
        { key: 'ou', value: 'dev', op: 'or' },
        { key: 'ou', value: 'ops', op: 'and' },
        { key: 'cn', value: '${user}' },
      ],
    };
    const text = userFilter(cfg, 'a*');
    assert.equal(text, '(&(objectClass=mqttUser)(uid=a\\2a)(&(|(ou=dev)(ou=ops))(cn=a\\2a)))');
    const parsed = FilterParser.parseString(text) as AndFilter;
    const joined = parsed.filters[2] as AndFilter;
    assert.ok(joined.filters[0] instanceof OrFilter);
  });

  it('DN values: specials, leading #/space and trailing space escaped; property: round trip', () => {
    assert.equal(escapeDnValue('a,b+c'), 'a\\,b\\+c');
    assert.equal(escapeDnValue('#x '), '\\#x\\ ');
    assert.equal(escapeDnValue(' x'), '\\ x');
    assert.equal(searchBase(SEARCH, 'a,ou=admins'), 'uid=a\\,ou\\=admins,ou=device,dc=emqx,dc=io');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (v) => {
        const escaped = escapeDnValue(v);
        assert.equal(unescapeDn(escaped), v);
        // No unescaped separator is left.
        assert.doesNotMatch(escaped.replace(/\\./g, ''), /[,+"\\<>;=]/);
      }),
    );
  });
});

describe('auth-ldap: password attribute schemes', () => {
  it('plain, {SHA}, {SSHA}, {SHA256}, {SSHA512}, {MD5}, {SMD5}', async () => {
    const salt = Buffer.from('s4lt!');
    assert.equal(await checkLdapPassword('pw', 'pw'), true);
    assert.equal(await checkLdapPassword('pw', 'pw2'), false);
    for (const scheme of ['SHA', 'SHA256', 'SHA512', 'MD5'] as const) {
      assert.equal(await checkLdapPassword('pw', ldapPasswordValue(scheme, 'pw')), true, scheme);
      assert.equal(await checkLdapPassword('px', ldapPasswordValue(scheme, 'pw')), false, scheme);
    }
    for (const scheme of ['SSHA', 'SSHA256', 'SSHA512', 'SMD5'] as const) {
      assert.equal(await checkLdapPassword('pw', ldapPasswordValue(scheme, 'pw', salt)), true, scheme);
      assert.equal(await checkLdapPassword('px', ldapPasswordValue(scheme, 'pw', salt)), false, scheme);
    }
  });

  it('scheme names are case-insensitive; base64 of a scheme value; {CRYPT} bcrypt; unknown schemes never match', async () => {
    assert.equal(await checkLdapPassword('pw', ldapPasswordValue('SHA', 'pw').replace('{SHA}', '{sha}')), true);
    assert.equal(await checkLdapPassword('pw', Buffer.from(ldapPasswordValue('SSHA', 'pw', Buffer.from('x'))).toString('base64')), true);
    assert.equal(await checkLdapPassword('pw', `{CRYPT}${bcrypt.hashSync('pw', 4)}`), true);
    assert.equal(await checkLdapPassword('no', `{CRYPT}${bcrypt.hashSync('pw', 4)}`), false);
    assert.equal(await checkLdapPassword('pw', '{ARGON2}pw'), false);
    assert.equal(await checkLdapPassword('{SHA}x', '{SSHA}'), false);
  });

  it('property: a {SSHA} value matches its own password and no other', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string(), fc.uint8Array({ minLength: 1, maxLength: 16 }), async (pw, other, salt) => {
        const stored = ldapPasswordValue('SSHA', pw, Buffer.from(salt));
        assert.equal(await checkLdapPassword(pw, stored), true);
        if (other !== pw) assert.equal(await checkLdapPassword(other, stored), false);
      }),
      { numRuns: 100 },
    );
  });
});

function client(username: string | undefined): ClientInfo {
  return {
    clientId: 'c1',
    username,
    peerHost: '127.0.0.1',
    peerPort: 1,
    sockPort: 1883,
    listener: 'tcp',
    protoName: 'MQTT',
    protoVer: 4,
    keepalive: 60,
    cleanStart: true,
    expiryInterval: 0,
    connectedAt: 0,
    superuser: false,
  };
}
const connect = (username: string | undefined, password?: string): ConnectRequest => ({
  client: client(username),
  password: password === undefined ? undefined : Buffer.from(password),
});

/** A fake directory: entries by uid under the default base; bind checks a plain userPassword. */
class FakeDirectory implements LdapDirectory {
  entries = new Map<string, LdapEntry>();
  searches: Array<{ base: string; filter: string; attributes: string[] }> = [];
  binds: string[] = [];
  failWith: Error | undefined;
  add(uid: string, attrs: Record<string, string[]>): void {
    const attributes = new Map(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), v]));
    this.entries.set(uid, { dn: `uid=${uid},ou=device,dc=emqx,dc=io`, attributes });
  }
  async search(base: string, filter: string, attributes: string[]): Promise<SearchAnswer> {
    this.searches.push({ base, filter, attributes });
    if (this.failWith) throw this.failWith;
    const uid = /\(uid=([^)]*)\)/.exec(filter)?.[1];
    const e = uid === undefined ? undefined : this.entries.get(uid);
    return { entries: e ? [e] : [], more: false };
  }
  async bindAs(dn: string, password: string): Promise<boolean> {
    this.binds.push(dn);
    if (this.failWith) throw this.failWith;
    const e = [...this.entries.values()].find((x) => x.dn === dn);
    return e?.attributes.get('userpassword')?.[0] === password;
  }
}

function setup(over: Partial<LdapAuthRules> = {}, onError: 'ignore' | 'deny' = 'ignore') {
  const dir = new FakeDirectory();
  const guard = new BackendGuard({ timeoutMs: 1000, onError, log, name: 'ldap test' });
  const rules: LdapAuthRules = { ...SEARCH, password_attribute: 'userPassword', bind_as_user: false, ...over };
  return { dir, guard, auth: new LdapAuth(rules, () => dir, guard) };
}

describe('auth-ldap: decisions (fake directory)', () => {
  it('attribute compare: right allows, wrong denies 0x86, unknown ignores, superuser by isSuperuser', async () => {
    const { dir, auth } = setup();
    dir.add('alice', { userPassword: [ldapPasswordValue('SHA', 'pw')] });
    dir.add('root', { userPassword: ['rootpw'], isSuperuser: ['TRUE'] });
    assert.deepEqual(await auth.authenticate(connect('alice', 'pw')), { result: 'allow', superuser: false });
    const wrong = await auth.authenticate(connect('alice', 'bad'));
    assert.equal(wrong.result === 'deny' && wrong.reasonCode, 0x86);
    assert.deepEqual(await auth.authenticate(connect('ghost', 'pw')), { result: 'ignore' });
    assert.deepEqual(await auth.authenticate(connect(undefined, 'pw')), { result: 'ignore' });
    assert.deepEqual(await auth.authenticate(connect('root', 'rootpw')), { result: 'allow', superuser: true });
    assert.equal(dir.searches[0]!.base, 'uid=alice,ou=device,dc=emqx,dc=io');
    assert.equal(dir.binds.length, 0);
  });

  it('bind_as_user: binds as the found entry; an empty password is refused without a bind', async () => {
    const { dir, auth } = setup({ bind_as_user: true });
    dir.add('alice', { userPassword: ['pw'] });
    assert.equal((await auth.authenticate(connect('alice', 'pw'))).result, 'allow');
    assert.equal((await auth.authenticate(connect('alice', 'bad'))).result, 'deny');
    assert.equal((await auth.authenticate(connect('alice', ''))).result, 'deny');
    assert.equal((await auth.authenticate(connect('alice'))).result, 'deny');
    assert.deepEqual(dir.binds, ['uid=alice,ou=device,dc=emqx,dc=io', 'uid=alice,ou=device,dc=emqx,dc=io']);
  });

  it('ACL: publish/subscribe attributes plus pubsub; no match or no entry ignores', async () => {
    const { dir, auth } = setup();
    dir.add('alice', { mqttPublishTopic: ['pub/#'], mqttSubscriptionTopic: ['sub/+'], mqttPubSubTopic: ['both/x', 'own/%u'] });
    const c = client('alice');
    assert.equal((await auth.authorize(c, 'publish', 'pub/a/b')).result, 'allow');
    assert.equal((await auth.authorize(c, 'subscribe', 'pub/a')).result, 'ignore');
    assert.equal((await auth.authorize(c, 'subscribe', 'sub/a')).result, 'allow');
    assert.equal((await auth.authorize(c, 'publish', 'sub/a')).result, 'ignore');
    assert.equal((await auth.authorize(c, 'publish', 'both/x')).result, 'allow');
    assert.equal((await auth.authorize(c, 'subscribe', 'both/x')).result, 'allow');
    assert.equal((await auth.authorize(c, 'publish', 'own/alice')).result, 'allow');
    assert.equal((await auth.authorize(client('ghost'), 'publish', 'pub/a')).result, 'ignore');
    assert.deepEqual(dir.searches.at(-1)!.attributes, ['mqttPublishTopic', 'mqttPubSubTopic']);
  });

  it('directory down: ignore or deny as configured, degraded with the reason', async () => {
    for (const mode of ['ignore', 'deny'] as const) {
      const { dir, auth, guard } = setup({}, mode);
      dir.failWith = new Error('connect ECONNREFUSED');
      assert.equal((await auth.authenticate(connect('alice', 'pw'))).result, mode);
      assert.equal((await auth.authorize(client('alice'), 'publish', 't')).result, mode);
      const health = guard.health();
      assert.ok(health.state === 'degraded' && /ECONNREFUSED/.test(health.reason));
    }
  });
});

describe('auth-ldap: check()', () => {
  const base = (over: Partial<AuthLdapConfig> = {}): AuthLdapConfig => ({
    servers: ['127.0.0.1'],
    port: 389,
    pool_size: 8,
    bind_dn: 'cn=root,dc=emqx,dc=io',
    bind_password: 'public',
    timeout: '30s',
    ...SEARCH,
    password_attribute: 'userPassword',
    bind_as_user: false,
    on_backend_error: 'ignore',
    ...over,
  });
  it('accepts the defaults, refuses bad attribute names and a zero timeout', () => {
    assert.deepEqual(authLdap.check!(base()), []);
    const pointers = (c: AuthLdapConfig) => authLdap.check!(c).map((p) => p.pointer);
    assert.deepEqual(pointers(base({ username_attribute: 'u)(x' })), ['/username_attribute']);
    assert.deepEqual(pointers(base({ filters: [{ key: 'a=b', value: 'x' }] })), ['/filters/0/key']);
    assert.deepEqual(pointers(base({ timeout: '0ms' })), ['/timeout']);
  });
});
