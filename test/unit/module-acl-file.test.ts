import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { aclFile, type AclFileConfig, type AclRuleConfig } from '../../src/modules/acl-file/index.js';
import { AclRules } from '../../src/modules/acl-file/rules.js';
import { createFakeBroker } from '../helpers/fake-broker.js';
import { moduleContext } from '../helpers/module-context.js';

function client(over: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId: 'c1', username: 'alice', peerHost: '192.168.1.20', peerPort: 50000, sockPort: 1883, listener: 'tcp',
    protoName: 'MQTT', protoVer: 4, keepalive: 60, cleanStart: true, expiryInterval: 0, connectedAt: 0, superuser: false, ...over,
  };
}

/** The shipped 4.x acl.conf, as the migrator writes it. */
const SHIPPED: AclRuleConfig[] = [
  { permission: 'allow', who: { kind: 'user', value: 'dashboard' }, access: 'subscribe', topics: [{ filter: '$SYS/#' }] },
  { permission: 'allow', who: { kind: 'ipaddr', cidr: '127.0.0.1' }, access: 'pubsub', topics: [{ filter: '$SYS/#' }, { filter: '#' }] },
  { permission: 'deny', who: { kind: 'all' }, access: 'subscribe', topics: [{ filter: '$SYS/#' }, { eq: '#' }] },
  { permission: 'allow', who: { kind: 'all' }, access: 'pubsub' },
];

test('the shipped acl.conf behaves as in 4.x', () => {
  const rules = new AclRules(SHIPPED);
  const remote = client();
  const local = client({ peerHost: '127.0.0.1' });
  assert.equal(rules.check(client({ username: 'dashboard' }), 'subscribe', '$SYS/brokers').result, 'allow');
  assert.equal(rules.check(remote, 'subscribe', '$SYS/brokers').result, 'deny');
  assert.equal(rules.check(remote, 'subscribe', '#').result, 'deny');
  assert.equal(rules.check(local, 'subscribe', '#').result, 'allow');
  assert.equal(rules.check(remote, 'subscribe', 'a/#').result, 'allow');
  assert.equal(rules.check(remote, 'publish', '$SYS/x').result, 'allow'); // {allow, all} matches $-topics too
  assert.equal(rules.check(remote, 'publish', 'anything').result, 'allow');
});

test('first match wins, in file order, within the publish or subscribe list', () => {
  const rules = new AclRules([
    { permission: 'deny', who: { kind: 'all' }, access: 'subscribe', topics: [{ filter: 't/#' }] },
    { permission: 'allow', who: { kind: 'all' }, access: 'pubsub', topics: [{ filter: 't/#' }] },
    { permission: 'deny', who: { kind: 'all' }, access: 'publish', topics: [{ filter: 't/x' }] },
  ]);
  assert.equal(rules.check(client(), 'subscribe', 't/x').result, 'deny');
  assert.equal(rules.check(client(), 'publish', 't/x').result, 'allow');
  assert.equal(rules.check(client(), 'publish', 'other').result, 'ignore');
});

test('who forms: user, client, {user, all}, ipaddr v4/v6, ipaddrs, and, or', () => {
  const allow = (who: AclRuleConfig['who']): AclRules => new AclRules([{ permission: 'allow', who, access: 'pubsub', topics: [{ filter: '#' }] }]);
  const c = client();
  assert.equal(allow({ kind: 'user', value: 'alice' }).check(c, 'publish', 't').result, 'allow');
  assert.equal(allow({ kind: 'user', value: 'bob' }).check(c, 'publish', 't').result, 'ignore');
  assert.equal(allow({ kind: 'user', value: 'alice' }).check(client({ username: undefined }), 'publish', 't').result, 'ignore');
  assert.equal(allow({ kind: 'user', all: true }).check(client({ username: undefined }), 'publish', 't').result, 'allow');
  assert.equal(allow({ kind: 'client', value: 'c1' }).check(c, 'publish', 't').result, 'allow');
  assert.equal(allow({ kind: 'client', value: 'c2' }).check(c, 'publish', 't').result, 'ignore');
  assert.equal(allow({ kind: 'client', all: true }).check(c, 'publish', 't').result, 'allow');
  assert.equal(allow({ kind: 'ipaddr', cidr: '192.168.1.0/24' }).check(c, 'publish', 't').result, 'allow');
  assert.equal(allow({ kind: 'ipaddr', cidr: '192.168.1.0/24' }).check(client({ peerHost: '::ffff:192.168.1.9' }), 'publish', 't').result, 'allow');
  assert.equal(allow({ kind: 'ipaddr', cidr: '10.0.0.0/8' }).check(c, 'publish', 't').result, 'ignore');
  assert.equal(allow({ kind: 'ipaddr', cidr: '2001:db8::/32' }).check(client({ peerHost: '2001:db8::5' }), 'publish', 't').result, 'allow');
  assert.equal(allow({ kind: 'ipaddrs', cidrs: ['10.0.0.1', '192.168.1.20'] }).check(c, 'publish', 't').result, 'allow');
  const both = allow({ kind: 'and', of: [{ kind: 'user', value: 'alice' }, { kind: 'ipaddr', cidr: '192.168.0.0/16' }] });
  assert.equal(both.check(c, 'publish', 't').result, 'allow');
  assert.equal(both.check(client({ peerHost: '10.0.0.1' }), 'publish', 't').result, 'ignore');
  const either = allow({ kind: 'or', of: [{ kind: 'user', value: 'bob' }, { kind: 'client', value: 'c1' }] });
  assert.equal(either.check(c, 'publish', 't').result, 'allow');
  assert.equal(either.check(client({ clientId: 'x' }), 'publish', 't').result, 'ignore');
});

test('%u / %c topics and {eq}; no username -> the rule does not match', () => {
  const rules = new AclRules([
    { permission: 'allow', who: { kind: 'all' }, access: 'pubsub', topics: [{ filter: 'users/%u/#' }, { filter: 'clients/%c' }] },
    { permission: 'deny', who: { kind: 'all' }, access: 'pubsub', topics: [{ eq: 'users/%u/#' }] },
  ]);
  assert.equal(rules.check(client(), 'publish', 'users/alice/x').result, 'allow');
  assert.equal(rules.check(client(), 'publish', 'users/bob/x').result, 'ignore');
  assert.equal(rules.check(client(), 'subscribe', 'clients/c1').result, 'allow');
  assert.equal(rules.check(client({ username: undefined }), 'publish', 'users/%u/x').result, 'ignore');
  assert.equal(rules.check(client({ username: undefined }), 'subscribe', 'users/%u/#').result, 'deny');
});

test('check() reports bad CIDRs and filters with pointers; a good config has no problems', () => {
  const config: AclFileConfig = {
    rules: [
      { permission: 'allow', who: { kind: 'ipaddr', cidr: '300.1.1.1' }, access: 'publish', topics: [{ filter: 'a/#/b' }] },
      { permission: 'allow', who: { kind: 'or', of: [{ kind: 'ipaddrs', cidrs: ['::1', '1.2.3.4/40'] }] }, access: 'publish' },
    ],
  };
  const problems = aclFile.check!(config);
  assert.deepEqual(problems.map((p) => p.pointer).sort(), ['/rules/0/topics/0/filter', '/rules/0/who/cidr', '/rules/1/who/of/0/cidrs/1']);
  assert.deepEqual(aclFile.check!({ rules: SHIPPED }), []);
});

test('the module answers through the authorize chain; update swaps rules; stop removes the hook', async () => {
  const fake = createFakeBroker();
  const instance = await aclFile.create(moduleContext(fake, 'acl'), {
    rules: [{ permission: 'deny', who: { kind: 'all' }, access: 'publish', topics: [{ filter: 'x/#' }] }],
  });
  const c = fake.connect({ clientId: 'c1', username: 'alice' });
  assert.equal((await fake.authorize(c, 'publish', 'x/1')).result, 'deny');
  assert.equal((await fake.authorize(c, 'publish', 'y')).result, 'ignore');
  await instance.update!({ rules: [{ permission: 'allow', who: { kind: 'user', value: 'alice' }, access: 'publish', topics: [{ filter: 'x/#' }] }] });
  assert.equal((await fake.authorize(c, 'publish', 'x/1')).result, 'allow');
  // A config that cannot compile is refused and the rules in force stay.
  await assert.rejects(instance.update!({ rules: [{ permission: 'deny', who: { kind: 'ipaddr', cidr: 'nope' }, access: 'publish' }] }));
  assert.equal((await fake.authorize(c, 'publish', 'x/1')).result, 'allow');
  assert.deepEqual(instance.status(), { state: 'running' });
  await instance.stop();
  assert.equal(fake.hookCount(), 0);
});
