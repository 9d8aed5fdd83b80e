import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClientInfo } from '../../src/broker/hooks.js';
import {
  compileAclTopic,
  compileCidrs,
  evaluateAclRows,
  matchAclTopic,
  parseCidr,
  toAclRow,
  type AclRow,
} from '../../src/modules/auth-common/index.js';

function client(over: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId: 'c1', username: 'alice', peerHost: '127.0.0.1', peerPort: 50000, sockPort: 1883, listener: 'tcp',
    protoName: 'MQTT', protoVer: 4, keepalive: 60, cleanStart: true, expiryInterval: 0, connectedAt: 0, superuser: false, ...over,
  };
}

test('ACL topics: filters, {eq} literal, %u/%c as whole levels only', () => {
  const c = client();
  assert.equal(matchAclTopic('a/#', c, 'a/b/c'), true);
  assert.equal(matchAclTopic({ eq: '#' }, c, '#'), true);
  assert.equal(matchAclTopic({ eq: '#' }, c, 'a'), false);
  assert.equal(matchAclTopic({ eq: 'a/%u' }, c, 'a/alice'), false);
  assert.equal(matchAclTopic({ filter: 'u/%u/#' }, c, 'u/alice/x'), true);
  assert.equal(matchAclTopic('u/%u/#', c, 'u/bob/x'), false);
  assert.equal(matchAclTopic('c/%c', c, 'c/c1'), true);
  assert.equal(matchAclTopic('c/%c', c, 'c/c1/x'), false);
  assert.equal(matchAclTopic('c/+/%c', c, 'c/x/c1'), true);
  assert.equal(matchAclTopic('c/%c/#', c, 'c/c1'), true);
  // Not a whole level: literal text.
  assert.equal(matchAclTopic('a/x%u', c, 'a/xalice'), false);
  assert.equal(matchAclTopic('a/x%u', c, 'a/x%u'), true);
  // No username: the rule does not match (4.3+), not even the literal text.
  assert.equal(matchAclTopic('u/%u', client({ username: undefined }), 'u/%u'), false);
  // A username with wildcards or separators cannot widen the rule.
  assert.equal(matchAclTopic('u/%u', client({ username: '#' }), 'u/x'), false);
  assert.equal(matchAclTopic('u/%u', client({ username: 'a/b' }), 'u/a/b'), false);
  // $-topics are not matched by a leading wildcard.
  assert.equal(compileAclTopic('#')(c, '$SYS/x'), false);
  assert.equal(compileAclTopic('+/%u')(c, '$SYS/alice'), false);
  assert.equal(compileAclTopic('$SYS/#')(c, '$SYS/x'), true);
  // Subscribe requests are filters: a rule filter matches them level by level.
  assert.equal(matchAclTopic('a/#', c, 'a/+'), true);
  assert.equal(matchAclTopic('a/b', c, 'a/+'), false);
});

test('CIDRs: v4, v6, prefixes, v4-mapped clients, invalid input', () => {
  const m = compileCidrs(['192.168.1.0/24', '10.0.0.1', 'fd00::/8']);
  assert.equal(m('192.168.1.77'), true);
  assert.equal(m('::ffff:192.168.1.77'), true);
  assert.equal(m('192.168.2.1'), false);
  assert.equal(m('10.0.0.1'), true);
  assert.equal(m('10.0.0.2'), false);
  assert.equal(m('fd12::1'), true);
  assert.equal(m('fe80::1'), false);
  assert.equal(m('not-an-ip'), false);
  assert.equal(compileCidrs(['::1'])('::1'), true);
  assert.equal(parseCidr('1.2.3.4/33'), null);
  assert.equal(parseCidr('host.example'), null);
  assert.deepEqual(parseCidr('::/0'), { address: '::', prefix: 0, family: 'ipv6' });
  assert.throws(() => compileCidrs(['1.2.3']));
});

const row = (r: Partial<AclRow> & Pick<AclRow, 'topic'>): AclRow => ({ allow: true, access: 3, ...r });

test('ACL rows: $all, who columns combined with and, access filter, eq, placeholders', () => {
  const c = client();
  assert.deepEqual(evaluateAclRows([], c, 'publish', 't'), { result: 'ignore' });
  assert.equal(evaluateAclRows([row({ username: '$all', topic: 't' })], c, 'publish', 't').result, 'allow');
  assert.equal(evaluateAclRows([row({ username: 'alice', allow: false, topic: '#' })], c, 'publish', 't').result, 'deny');
  assert.equal(evaluateAclRows([row({ username: 'bob', topic: '#' })], c, 'publish', 't').result, 'ignore');
  assert.equal(evaluateAclRows([row({ clientid: 'c1', topic: 't/%c' })], c, 'subscribe', 't/c1').result, 'allow');
  assert.equal(evaluateAclRows([row({ ipaddr: '127.0.0.0/8', topic: '#' })], c, 'publish', 'x').result, 'allow');
  assert.equal(evaluateAclRows([row({ ipaddr: '10.0.0.0/8', topic: '#' })], c, 'publish', 'x').result, 'ignore');
  // Several who columns: all must match.
  assert.equal(evaluateAclRows([row({ username: 'alice', clientid: 'other', topic: '#' })], c, 'publish', 'x').result, 'ignore');
  assert.equal(evaluateAclRows([row({ username: 'alice', clientid: 'c1', ipaddr: '127.0.0.1', topic: '#' })], c, 'publish', 'x').result, 'allow');
  // Empty strings count as absent; a row with no who at all is skipped.
  assert.equal(evaluateAclRows([row({ username: '', ipaddr: '', clientid: 'c1', topic: '#' })], c, 'publish', 'x').result, 'allow');
  assert.equal(evaluateAclRows([row({ username: null, ipaddr: null, clientid: null, topic: '#' })], c, 'publish', 'x').result, 'ignore');
  // access 1 = subscribe only, 2 = publish only.
  assert.equal(evaluateAclRows([row({ username: '$all', access: 1, topic: '#' })], c, 'publish', 'x').result, 'ignore');
  assert.equal(evaluateAclRows([row({ username: '$all', access: 1, topic: '#' })], c, 'subscribe', 'x').result, 'allow');
  assert.equal(evaluateAclRows([row({ username: '$all', access: 2, topic: '#' })], c, 'subscribe', 'x').result, 'ignore');
  // `eq <topic>`.
  const eq = [row({ username: '$all', allow: false, access: 1, topic: 'eq #' })];
  assert.equal(evaluateAclRows(eq, c, 'subscribe', '#').result, 'deny');
  assert.equal(evaluateAclRows(eq, c, 'subscribe', 'a').result, 'ignore');
});

test('ACL rows are tried last row first, as 4.x compiled them (reverse of the query result)', () => {
  const rows = [row({ username: '$all', allow: true, topic: '#' }), row({ username: 'alice', allow: false, topic: 'secret/#' })];
  assert.equal(evaluateAclRows(rows, client(), 'publish', 'secret/x').result, 'deny');
  assert.equal(evaluateAclRows(rows, client(), 'publish', 'secret/x', 'first-to-last').result, 'allow');
  assert.equal(evaluateAclRows(rows, client(), 'publish', 'open').result, 'allow');
});

test('ACL rows: usernames starting with $ are never checked (4.x)', () => {
  const rows = [row({ username: '$all', allow: false, topic: '#' })];
  assert.equal(evaluateAclRows(rows, client({ username: '$admin' }), 'publish', 'x').result, 'ignore');
});

test('toAclRow reads driver rows (numbers or strings) and refuses what 4.x could not compile', () => {
  assert.deepEqual(toAclRow({ allow: 1, ipaddr: null, username: '$all', clientid: null, access: 3, topic: '#' }), {
    allow: true, access: 3, topic: '#', ipaddr: null, username: '$all', clientid: null,
  });
  assert.deepEqual(toAclRow({ allow: '0', ipaddr: '1.2.3.4', username: undefined, clientid: 'c', access: '2', topic: Buffer.from('t') }), {
    allow: false, access: 2, topic: 't', ipaddr: '1.2.3.4', username: null, clientid: 'c',
  });
  assert.equal(toAclRow({ allow: 2, access: 3, topic: '#' }), null);
  assert.equal(toAclRow({ allow: 1, access: 4, topic: '#' }), null);
  assert.equal(toAclRow({ allow: 1, access: 1 }), null);
});
