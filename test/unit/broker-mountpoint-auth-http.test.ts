/** auth-http's part of mountpoints: the 200 body `{"mountpoint": ...}` (4.x emqx_auth_http) and %m. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { authDecision, mountpointOf } from '../../src/modules/auth-http/decisions.js';
import { aclValues, clientValues, fillParams } from '../../src/modules/auth-http/param-template.js';

const client = (over: Partial<ClientInfo> = {}): ClientInfo => ({
  clientId: 'c1',
  username: 'alice',
  peerHost: '127.0.0.1',
  peerPort: 5000,
  sockPort: 1883,
  listener: 'tcp',
  protoName: 'MQTT',
  protoVer: 4,
  keepalive: 60,
  cleanStart: true,
  expiryInterval: 0,
  connectedAt: 0,
  superuser: false,
  ...over,
});

describe('auth-http mountpoint in the 200 body', () => {
  test('a JSON object with a string mountpoint grants it (template kept: the broker expands it)', () => {
    assert.deepEqual(authDecision({ status: 200, body: '{"mountpoint":"tenant/%u/"}' }), { result: 'allow', mountpoint: 'tenant/%u/' });
    assert.deepEqual(authDecision({ status: 200, body: ' {"ok":true,"mountpoint":"m/"}\n' }), { result: 'allow', mountpoint: 'm/' });
  });

  test('any other 200 body allows without a mountpoint; ignore still ignores; non-200 still denies', () => {
    for (const body of ['', 'ok', '{"mountpoint":5}', '{"mountpoint":""}', '["mountpoint"]', 'null', '{bad json', '{"other":"x"}']) {
      assert.deepEqual(authDecision({ status: 200, body }), { result: 'allow' }, body);
    }
    assert.deepEqual(authDecision({ status: 200, body: 'ignore' }), { result: 'ignore' });
    assert.equal(authDecision({ status: 403, body: '{"mountpoint":"m/"}' }).result, 'deny');
  });

  test('property: mountpointOf never throws and returns only non-empty strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.anything().map((v) => JSON.stringify({ mountpoint: v }) ?? '')), (body) => {
        const mp = mountpointOf(body);
        assert.ok(mp === undefined || (typeof mp === 'string' && mp.length > 0));
      }),
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (mp) => {
        assert.equal(mountpointOf(JSON.stringify({ mountpoint: mp })), mp);
      }),
    );
  });
});

describe('%m placeholder', () => {
  test('empty without a mountpoint, the expanded mountpoint once the client has one', () => {
    assert.deepEqual(fillParams({ m: '%m' }, clientValues(client())), { m: '' });
    assert.deepEqual(fillParams({ m: '%m', t: '%t' }, aclValues(client({ mountpoint: 'tenant/alice/' }), 'publish', 't')), {
      m: 'tenant/alice/',
      t: 't',
    });
  });
});
