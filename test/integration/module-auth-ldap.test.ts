/**
 * auth-ldap against a real OpenLDAP slapd and a real broker, with MQTT.js clients: hashed and
 * plain password attributes, bind as user, unknown users, filter injection attempts, superuser,
 * ACL attributes, the directory going down and back, and a live config change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuthLdapConfig } from '../../src/modules/auth-ldap/index.js';
import { authLdap } from '../../src/modules/auth-ldap/index.js';
import { escapeDnValue } from '../../src/modules/auth-ldap/ldap-filter.js';
import { ldapPasswordValue } from '../../src/modules/auth-ldap/ldap-password.js';
import type { ModuleInstance } from '../../src/modules/runtime/module-type.js';
import { DEFAULT_SETTINGS } from '../../src/store/cluster-document.js';
import { moduleContext } from '../helpers/module-context.js';
import { connectError, startHarness, subscribeGranted, type Harness } from '../helpers/mqtt-harness.js';
import { startSlapd, type SlapdServer } from '../helpers/servers/slapd.js';

const CLASSES = ['account', 'simpleSecurityObject', 'mqttUser'];

describe('auth-ldap over MQTT (real slapd)', () => {
  let ldap: SlapdServer;
  let h: Harness;
  let instance: ModuleInstance<AuthLdapConfig>;
  let config: AuthLdapConfig;

  before(async () => {
    ldap = await startSlapd();
    const dn = (uid: string): string => `uid=${escapeDnValue(uid)},${ldap.deviceDn}`;
    await ldap.add([
      {
        dn: dn('alice'),
        attributes: {
          objectClass: CLASSES,
          uid: 'alice',
          userPassword: ldapPasswordValue('SSHA', 'alice-pw', Buffer.from('saltsalt')),
          mqttPublishTopic: ['alice/pub/#'],
          mqttSubscriptionTopic: ['alice/sub/+'],
          mqttPubSubTopic: ['alice/both'],
        },
      },
      { dn: dn('bob'), attributes: { objectClass: CLASSES, uid: 'bob', userPassword: 'bob-plain' } },
      { dn: dn('root'), attributes: { objectClass: CLASSES, uid: 'root', userPassword: ldapPasswordValue('SHA', 'root-pw'), isSuperuser: 'TRUE' } },
      { dn: dn('a,b'), attributes: { objectClass: CLASSES, uid: 'a,b', userPassword: 'comma-pw' } },
    ]);
    h = await startHarness({ settings: { ...DEFAULT_SETTINGS, allow_anonymous: false, acl_nomatch: 'deny' } });
    config = {
      servers: ['127.0.0.1'],
      port: ldap.port,
      pool_size: 2,
      bind_dn: ldap.rootDn,
      bind_password: ldap.rootPassword,
      timeout: '3s',
      ssl: {},
      device_dn: ldap.deviceDn,
      match_objectclass: 'mqttUser',
      username_attribute: 'uid',
      password_attribute: 'userPassword',
      custom_base_dn: '${username_attr}=${user},${device_dn}',
      filters: [],
      bind_as_user: false,
      on_backend_error: 'deny',
    };
    instance = await authLdap.create(moduleContext(h.broker, 'auth-ldap'), config);
  });

  after(async () => {
    await instance?.stop();
    await h?.close();
    await ldap?.stop();
  });

  const port = (): number => h.port('tcp');

  test('hashed ({SSHA}, {SHA}) and plain attributes; wrong password refused; unknown user reaches allow_anonymous', async () => {
    assert.equal((await h.connect({ clientId: 'a', username: 'alice', password: 'alice-pw', protocolVersion: 5 })).connected, true);
    assert.equal((await h.connect({ clientId: 'b', username: 'bob', password: 'bob-plain', protocolVersion: 4 })).connected, true);
    assert.equal((await h.connect({ clientId: 'c', username: 'a,b', password: 'comma-pw', protocolVersion: 5 })).connected, true);
    assert.equal((await connectError(port(), { clientId: 'w', username: 'alice', password: 'nope', protocolVersion: 5 })).code, 0x86);
    assert.equal((await connectError(port(), { clientId: 'w3', username: 'bob', password: 'nope', protocolVersion: 4 })).code, 4);
    assert.equal((await connectError(port(), { clientId: 'g', username: 'ghost', password: 'x', protocolVersion: 5 })).code, 0x87);
  });

  test('filter and DN injection: a crafted username finds nobody', async () => {
    for (const username of ['*', 'al*', '*)(uid=*', 'alice)(|(uid=*', 'a\\2a', 'alice,ou=device']) {
      const refused = await connectError(port(), { clientId: 'inj', username, password: 'alice-pw', protocolVersion: 5 });
      assert.equal(refused.code, 0x87, `${username}: ignored by ldap, refused by allow_anonymous`);
    }
  });

  test('ACL from mqttPublishTopic / mqttSubscriptionTopic / mqttPubSubTopic; superuser bypasses', async () => {
    const alice = await h.connect({ clientId: 'acl-a', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
    assert.deepEqual(
      await subscribeGranted(alice, { 'alice/sub/x': { qos: 1 }, 'alice/both': { qos: 1 }, 'alice/pub/x': { qos: 1 }, 'x/y': { qos: 1 } }),
      { 'alice/sub/x': 1, 'alice/both': 1, 'alice/pub/x': 0x87, 'x/y': 0x87 },
    );
    await alice.publishAsync('alice/pub/a/b', 'ok', { qos: 1 });
    await alice.publishAsync('alice/both', 'ok', { qos: 1 });
    await assert.rejects(alice.publishAsync('alice/sub/x', 'no', { qos: 1 }), /Not authorized/);

    const root = await h.connect({ clientId: 'root', username: 'root', password: 'root-pw', protocolVersion: 5 });
    assert.equal(h.broker.api.client('root')?.superuser, true);
    assert.deepEqual(await subscribeGranted(root, { 'any/#': { qos: 1 } }), { 'any/#': 1 });
    await root.publishAsync('any/where', 'ok', { qos: 1 });
  });

  test('bind_as_user (live update): the directory checks the password', async () => {
    await instance.update!({ ...config, bind_as_user: true });
    try {
      assert.equal((await h.connect({ clientId: 'ba', username: 'bob', password: 'bob-plain', protocolVersion: 5 })).connected, true);
      assert.equal((await connectError(port(), { clientId: 'bw', username: 'bob', password: 'wrong', protocolVersion: 5 })).code, 0x86);
      assert.equal((await connectError(port(), { clientId: 'be', username: 'bob', password: '', protocolVersion: 5 })).code, 0x86);
    } finally {
      await instance.update!(config);
    }
  });

  test('live update: another password attribute and an extra filter take effect on the next connect', async () => {
    await ldap.replace(`uid=bob,${ldap.deviceDn}`, { description: 'desc-pw' });
    await instance.update!({ ...config, password_attribute: 'description' });
    try {
      assert.equal((await h.connect({ clientId: 'u1', username: 'bob', password: 'desc-pw', protocolVersion: 5 })).connected, true);
      assert.equal((await connectError(port(), { clientId: 'u2', username: 'bob', password: 'bob-plain', protocolVersion: 5 })).code, 0x86);
    } finally {
      await instance.update!(config);
    }
    // A filter nobody matches: every user becomes unknown to this module.
    await instance.update!({ ...config, filters: [{ key: 'description', value: 'no-such', op: 'and' }] });
    try {
      assert.equal((await connectError(port(), { clientId: 'u3', username: 'alice', password: 'alice-pw', protocolVersion: 5 })).code, 0x87);
    } finally {
      await instance.update!(config);
    }
  });

  test('directory down: degraded, connects refused with server unavailable; back up: running again', async () => {
    await ldap.halt();
    try {
      const refused = await connectError(port(), { clientId: 'd1', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
      assert.equal(refused.code, 0x88);
      const status = instance.status();
      assert.ok(status.state === 'degraded' && status.reason.includes('ldap'), JSON.stringify(status));
    } finally {
      await ldap.restart();
    }
    const back = await h.connect({ clientId: 'd2', username: 'alice', password: 'alice-pw', protocolVersion: 5 });
    assert.equal(back.connected, true);
    assert.equal(instance.status().state, 'running');
  });
});
