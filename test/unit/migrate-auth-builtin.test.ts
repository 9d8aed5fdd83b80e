import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authMnesia } from '../../migrations/legacy/auth-mnesia.js';
import { authUsername } from '../../migrations/legacy/auth-username.js';
import { authClientid } from '../../migrations/legacy/auth-clientid.js';
import { authSasl } from '../../migrations/legacy/auth-sasl.js';
import { pskFile, renderPskFile } from '../../migrations/legacy/psk-file.js';
import { aclFileFromNode, renderAclConf } from '../../migrations/legacy/acl-file.js';
import { parseAclConf } from '../../src/migrator/readers/acl-conf.js';
import { parsePskFile } from '../../src/migrator/readers/psk.js';
import { parseConf } from '../../src/migrator/readers/cuttlefish.js';
import { assertKey, conf, forwardConf, legacyNode, outcome, roundTrip, withDefaults } from '../fixtures/migrate-ma/harness.js';

describe('emqx_auth_mnesia -> auth-builtin-db', () => {
  it('4.3 user and client lists seed the store, ordered by numeric id', () => {
    const r = forwardConf(
      authMnesia,
      `
      auth.mnesia.password_hash = sha512
      auth.user.10.username = feng@emqtt.io
      auth.user.10.password = public2
      auth.user.2.username = admin
      auth.user.2.password = public
      auth.client.1.clientid = dev:devid
      auth.client.1.password = passwd
      `,
      '4.3.22',
    );
    const c = withDefaults('auth-builtin-db', r.config);
    assert.equal(c.password_hash, 'sha512');
    assert.deepEqual(c.users, [
      { username: 'admin', password: 'public', is_superuser: false },
      { username: 'feng@emqtt.io', password: 'public2', is_superuser: false },
    ]);
    assert.deepEqual(c.clients, [{ clientid: 'dev:devid', password: 'passwd', is_superuser: false }]);
    assertKey(r, 'auth.user.10.username', 'mapped', 2, 'auth-builtin-db#/users/1/username');
    assert.equal(outcome(r, 'auth.user.2.password').secret, true);
    assert.deepEqual(roundTrip(authMnesia, 'auth-builtin-db', c), c);
  });
  it('4.2 logins compared with the client id become client users, with the superuser flag', () => {
    const r = forwardConf(
      authMnesia,
      `
      auth.mnesia.password_hash = sha256
      auth.mnesia.as = clientid
      auth.mnesia.1.login = sensor-1
      auth.mnesia.1.password = pw1
      auth.mnesia.1.is_superuser = true
      `,
      '4.2.14',
    );
    const c = withDefaults('auth-builtin-db', r.config);
    assert.deepEqual(c.users, []);
    assert.deepEqual(c.clients, [{ clientid: 'sensor-1', password: 'pw1', is_superuser: true }]);
    assertKey(r, 'auth.mnesia.password_hash', 'defaulted', 1);
    assertKey(r, 'auth.mnesia.as', 'mapped', 2, 'auth-builtin-db#/clients');
    assertKey(r, 'auth.mnesia.1.login', 'mapped', 3, 'auth-builtin-db#/clients/0/clientid');
    assert.deepEqual(r.warnings, []);
  });
  it('emqx_auth_username / emqx_auth_clientid (4.0-4.2) fill users / clients', () => {
    const u = forwardConf(authUsername, 'auth.user.password_hash = md5\nauth.user.1.username = a\nauth.user.1.password = b\n', '4.0.13');
    assert.deepEqual(u.config, { password_hash: 'md5', users: [{ username: 'a', password: 'b' }] });
    assertKey(u, 'auth.user.1.password', 'mapped', 3, 'auth-builtin-db#/users/0/password');
    const cl = forwardConf(authClientid, 'auth.client.1.clientid = c\nauth.client.1.password = d\nauth.client.password_hash = sha512\n', '4.0.13');
    assert.deepEqual(cl.config, { clients: [{ clientid: 'c', password: 'd' }] }, 'sha512 is not a 4.0 hash');
    assertKey(cl, 'auth.client.password_hash', 'not-mapped', 3);
  });
});

describe('emqx_psk_file -> auth-psk', () => {
  it('carries psk.txt entries inline (last duplicate wins) and writes them back', () => {
    const psk = parsePskFile('client1:1234\nclient2:abcd\nclient1:5678\n', 'etc/psk.txt');
    const node = legacyNode('4.4.19', { psk: { file: 'etc/psk.txt', entries: psk.entries } });
    const r = forwardConf(pskFile, 'psk.file.path = etc/psk.txt\npsk.file.delimiter = :\n', '4.4.19', node);
    const c = withDefaults('auth-psk', r.config);
    assert.deepEqual(c.entries, [
      { identity: 'client1', secret: '5678' },
      { identity: 'client2', secret: 'abcd' },
    ]);
    assertKey(r, 'psk.file.path', 'mapped', 1, 'auth-psk#/entries');
    assertKey(r, 'psk.file.delimiter', 'defaulted', 2);
    const lines = r.keys.filter((k) => k.key.startsWith('psk client'));
    // the reader already kept the last client1 line (at the first one's position)
    assert.deepEqual(lines.map((k) => [k.key, k.location.line, k.class, k.target, k.secret]), [
      ['psk client1', 3, 'mapped', 'auth-psk#/entries/0', true],
      ['psk client2', 2, 'mapped', 'auth-psk#/entries/1', true],
    ]);
    assert.equal(renderPskFile(c), 'client1:5678\nclient2:abcd\n');
  });
  it('warns when no psk file was read', () => {
    const r = forwardConf(pskFile, 'psk.file.path = etc/psk.txt\n', '4.4.19');
    assert.deepEqual(r.warnings.map((w) => w.code), ['psk-file-missing']);
  });
});

describe('emqx_sasl -> auth-scram', () => {
  it('has no keys: the module runs with its defaults', () => {
    const r = authSasl.forward([], { node: legacyNode('4.4.19') });
    assert.deepEqual(withDefaults('auth-scram', r.config).mechanisms, ['SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
    assert.deepEqual(r.keys, []);
  });
});

describe('acl.conf -> acl-file', () => {
  const aclText = conf(`
    %% rich acl.conf
    {allow, {user, "dashboard"}, subscribe, ["$SYS/#"]}.
    {allow, {ipaddr, "127.0.0.1"}, pubsub, ["$SYS/#", "#"]}.
    {allow, {'and', [{client, "c1"}, {ipaddrs, ["10.0.0.0/8", "192.168.1.0/24"]}]}, publish, ["devices/%c/#"]}.
    {deny, {'or', [{user, all}, {client, "bad"}]}, subscribe, [{eq, "#"}]}.
    {deny, all, subscribe, ["$SYS/#", {eq, "#"}]}.
    {allow, all}.
  `);
  const emqxConf = parseConf('acl_file = etc/acl.conf\n', 'etc/emqx.conf');
  const node = (version: string) =>
    legacyNode(version, { emqxConf, acl: { file: 'etc/acl.conf', rules: parseAclConf(aclText, 'etc/acl.conf', version).rules } });

  it('every who / access / topic form becomes structured JSON, rules keep file order and lines', () => {
    const r = aclFileFromNode(node('4.4.19'));
    const c = withDefaults('acl-file', r.config);
    assert.deepEqual(c.rules, [
      { permission: 'allow', who: { kind: 'user', value: 'dashboard' }, access: 'subscribe', topics: [{ filter: '$SYS/#' }] },
      { permission: 'allow', who: { kind: 'ipaddr', cidr: '127.0.0.1' }, access: 'pubsub', topics: [{ filter: '$SYS/#' }, { filter: '#' }] },
      {
        permission: 'allow',
        who: { kind: 'and', of: [{ kind: 'client', value: 'c1' }, { kind: 'ipaddrs', cidrs: ['10.0.0.0/8', '192.168.1.0/24'] }] },
        access: 'publish',
        topics: [{ filter: 'devices/%c/#' }],
      },
      { permission: 'deny', who: { kind: 'or', of: [{ kind: 'user', all: true }, { kind: 'client', value: 'bad' }] }, access: 'subscribe', topics: [{ eq: '#' }] },
      { permission: 'deny', who: { kind: 'all' }, access: 'subscribe', topics: [{ filter: '$SYS/#' }, { eq: '#' }] },
      { permission: 'allow', who: { kind: 'all' }, access: 'pubsub' },
    ]);
    assert.deepEqual(
      r.keys.map((k) => [k.location.file, k.location.line, k.class, k.target]),
      [
        ['etc/emqx.conf', 1, 'mapped', 'acl-file#/rules'],
        ...[2, 3, 4, 5, 6, 7].map((line, i) => ['etc/acl.conf', line, 'mapped', `acl-file#/rules/${i}`]),
      ],
    );
    assert.equal(r.keys[1]!.key, '{allow, {user, "dashboard"}, subscribe, ["$SYS/#"]}');
    assert.deepEqual(r.warnings, []);
  });
  it('4.2 nodes are warned about %c/%u semantics; renderAclConf reads back equal', () => {
    const r = aclFileFromNode(node('4.2.14'));
    assert.deepEqual(r.warnings.map((w) => [w.code, w.location?.line]), [['acl-placeholder-semantics', 4]]);
    const text = renderAclConf(r.config!);
    const again = parseAclConf(text, 'acl.conf', '4.4.19');
    assert.deepEqual(again.problems, []);
    assert.deepEqual(aclFileFromNode(legacyNode('4.4.19', { acl: { file: 'acl.conf', rules: again.rules } })).config, r.config);
  });
  it('no acl.conf: no rules and a warning', () => {
    const r = aclFileFromNode(legacyNode('4.4.19', { emqxConf }));
    assert.deepEqual(r.config, { rules: [] });
    assert.deepEqual(r.warnings.map((w) => w.code), ['acl-file-missing']);
  });
});
