import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAclConf } from '../../src/migrator/readers/acl-conf.js';
import { consultTerms, renderTerm } from '../../src/migrator/readers/erlang-terms.js';
import { parseLoadedList } from '../../src/migrator/readers/loaded-list.js';
import { parsePskFile } from '../../src/migrator/readers/psk.js';

test('erlang terms: every literal form, lines, errors with recovery', () => {
  const r = consultTerms(`%% c\n{a, 'Q a', "s" "t", <<"b">>, 16#ff, -2, 1.5e1, $a, [x|y], #{k => v}}.\n{and, x}.\n{ok,\n  2}.\n{unclosed, [}.\n"last"`, 'f');
  assert.deepEqual(r.terms.map((t) => [t.location.line, renderTerm(t.term)]), [
    [2, `{a, 'Q a', "st", <<"b">>, 255, -2, 15.0, 97, [x | y], #{k => v}}`],
    [4, '{ok, 2}'],
  ]);
  assert.deepEqual(r.problems.map((p) => [p.code, p.location.line]), [['erl-syntax', 3], ['erl-syntax', 6], ['erl-syntax', 7]]);
  assert.match(r.problems[0]!.message, /'and'/);
});

test('loaded_plugins: all forms; duplicates per version', () => {
  const text = `{emqx_management, true}.\nemqx_dashboard.\n{emqx_auth_mysql,true}.\n{emqx_recon,\n false}.\n'emqx_retainer'.\n{emqx_auth_mysql, false}.\n{x, maybe}.\n"str".\n`;
  const late = parseLoadedList(text, 'data/loaded_plugins', 'plugins', '4.4.19');
  assert.deepEqual(late.entries.map((e) => [e.name, e.enabled, e.location.line]), [
    ['emqx_management', true, 1], ['emqx_dashboard', true, 2], ['emqx_recon', false, 4], ['emqx_retainer', true, 6], ['emqx_auth_mysql', false, 7],
  ]);
  assert.deepEqual(late.problems.map((p) => [p.code, p.location.line]), [['loaded-invalid-entry', 8], ['loaded-invalid-entry', 9], ['loaded-duplicate', 7]]);
  const early = parseLoadedList(text, 'data/loaded_plugins', 'plugins', '4.3.12');
  assert.equal(early.entries.find((e) => e.name === 'emqx_auth_mysql')?.enabled, true);
});

test('loaded_modules: a bare atom is reported', () => {
  const r = parseLoadedList('{emqx_mod_presence, true}.\nemqx_mod_rewrite.\n', 'data/loaded_modules', 'modules');
  assert.deepEqual(r.entries.map((e) => e.name), ['emqx_mod_presence', 'emqx_mod_rewrite']);
  assert.deepEqual(r.problems.map((p) => [p.code, p.location.line]), [['loaded-bare-module', 2]]);
});

test('acl.conf: every who/access/topic form; invalid rules are problems', () => {
  const text = [
    '{allow, {user, "dashboard"}, subscribe, ["$SYS/#"]}.',
    '{allow, {ipaddr, "127.0.0.1"}, pubsub, ["$SYS/#", "#"]}.',
    '{deny, all, subscribe, ["$SYS/#", {eq, "#"}]}.',
    '{allow, {\'and\', [{client, all}, {ipaddrs, ["10.0.0.0/8", "::1"]}]}, publish, [<<"t/%u">>]}.',
    '{deny, {\'or\', [{user, <<"u">>}, {client, "c"}]}, publish, <<"x/#">>}.',
    '{allow, {clientid, "x"}, publish, ["t"]}.',
    '{allow, all, publish, "t/#"}.',
    '{allow, all}.',
  ].join('\n');
  const r = parseAclConf(text, 'etc/acl.conf', '4.2.14');
  assert.equal(r.rules.length, 6);
  assert.deepEqual(r.rules[0], { permission: 'allow', who: { kind: 'user', value: 'dashboard' }, access: 'subscribe', topics: [{ kind: 'filter', value: '$SYS/#' }], location: { file: 'etc/acl.conf', line: 1 }, text: '{allow, {user, "dashboard"}, subscribe, ["$SYS/#"]}' });
  assert.deepEqual(r.rules[2]?.topics, [{ kind: 'filter', value: '$SYS/#' }, { kind: 'eq', value: '#' }]);
  assert.deepEqual(r.rules[3]?.who, { kind: 'and', of: [{ kind: 'client', value: 'all' }, { kind: 'ipaddrs', values: ['10.0.0.0/8', '::1'] }] });
  assert.deepEqual(r.rules[4]?.topics, [{ kind: 'filter', value: 'x/#' }]);
  assert.deepEqual(r.rules[5], { permission: 'allow', who: { kind: 'all' }, access: 'pubsub', location: { file: 'etc/acl.conf', line: 8 }, text: '{allow, all}' });
  assert.deepEqual(r.problems.map((p) => [p.code, p.location.line]), [['acl-unsupported', 4], ['acl-invalid-rule', 6], ['acl-invalid-rule', 7]]);
});

test('psk.txt: first delimiter splits, bad lines reported', () => {
  const r = parsePskFile('client1:1234\nclient2:ab:cd\n\nnodelim\n:x\n', 'etc/psk.txt');
  assert.deepEqual(r.entries.map((e) => [e.identity, e.secret, e.location.line]), [['client1', '1234', 1], ['client2', 'ab:cd', 2]]);
  assert.deepEqual(r.problems.map((p) => [p.code, p.location.line]), [['psk-invalid-line', 4], ['psk-invalid-line', 5]]);
  assert.deepEqual(parsePskFile('a|b\n', 'f', '|').entries.map((e) => e.secret), ['b']);
});
