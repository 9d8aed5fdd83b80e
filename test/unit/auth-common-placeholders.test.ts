import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClientInfo } from '../../src/broker/hooks.js';
import { compileSqlTemplate, placeholderValues, sqlParams, substitute } from '../../src/modules/auth-common/index.js';

function client(over: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId: 'c1', username: 'alice', peerHost: '::ffff:10.0.0.7', peerPort: 50000, sockPort: 1883, listener: 'tcp',
    protoName: 'MQTT', protoVer: 4, keepalive: 60, cleanStart: true, expiryInterval: 0, connectedAt: 0, superuser: false, ...over,
  };
}

test('placeholderValues: username, client id, v4-mapped peer IP unwrapped, password, port, protocol', () => {
  const v = placeholderValues({ client: client(), password: Buffer.from('pw') });
  assert.deepEqual(v, { clientid: 'c1', username: 'alice', peerhost: '10.0.0.7', password: 'pw', sockport: 1883, protocol: 'mqtt' });
  const anon = placeholderValues({ client: client({ username: undefined, peerHost: '::1' }) });
  assert.equal(anon.username, undefined);
  assert.equal(anon.password, undefined);
  assert.equal(anon.peerhost, '::1');
  const withCert = placeholderValues({ client: Object.assign(client(), { certCommonName: 'dev1', certSubject: 'CN=dev1,O=x' }), password: undefined });
  assert.equal(withCert.cn, 'dev1');
  assert.equal(withCert.dn, 'CN=dev1,O=x');
});

test('compileSqlTemplate: quoted 4.x placeholders become bind parameters, in order', () => {
  const shipped = "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = '%a' or username = '%u' or username = '$all' or clientid = '%c'";
  const mysql = compileSqlTemplate(shipped, 'question');
  assert.equal(mysql.sql, "select allow, ipaddr, username, clientid, access, topic from mqtt_acl where ipaddr = ? or username = ? or username = '$all' or clientid = ?");
  assert.deepEqual(mysql.params, ['peerhost', 'username', 'clientid']);
  const pg = compileSqlTemplate("select password, salt from mqtt_user where username = '%u' and cn = '%C' and dn = '%d' and id = '%u'", 'dollar');
  assert.equal(pg.sql, 'select password, salt from mqtt_user where username = $1 and cn = $2 and dn = $3 and id = $4');
  assert.deepEqual(pg.params, ['username', 'cn', 'dn', 'username']);
});

test('compileSqlTemplate: an unquoted placeholder stays literal (4.x) and no value is ever spliced', () => {
  const { sql, params } = compileSqlTemplate("select password from t where username = %u or x = '%P' or y = '%x'", 'question');
  assert.equal(sql, "select password from t where username = %u or x = '%P' or y = '%x'");
  assert.deepEqual(params, []);
  const evil = placeholderValues({ client: client({ username: "x' or '1'='1" }) });
  const compiled = compileSqlTemplate("select 1 from t where u = '%u'", 'question');
  assert.equal(compiled.sql, 'select 1 from t where u = ?');
  assert.deepEqual(sqlParams(compiled.params, evil), ["x' or '1'='1"]);
  assert.deepEqual(sqlParams(['username', 'cn'], placeholderValues({ client: client({ username: undefined }) })), [null, null]);
});

test('substitute: every 4.x placeholder, absent values empty, unknown sequences kept', () => {
  const values = { ...placeholderValues({ client: client(), password: Buffer.from('s3cret') }), access: 2 as const, topic: 't/1', mountpoint: '' };
  assert.equal(
    substitute('clientid=%c,username=%u,password=%P,ip=%a,port=%p,proto=%r,access=%A,topic=%t,mp=%m', values),
    'clientid=c1,username=alice,password=s3cret,ip=10.0.0.7,port=1883,proto=mqtt,access=2,topic=t/1,mp=',
  );
  assert.equal(substitute('HMGET mqtt_user:%u password', values), 'HMGET mqtt_user:alice password');
  assert.equal(substitute('cn=%C dn=%d %z 100%', values), 'cn= dn= %z 100%');
  assert.equal(substitute('no placeholders', values), 'no placeholders');
});
