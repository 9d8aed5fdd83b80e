import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import type { ClientInfo, ConnectRequest } from '../../src/broker/hooks.js';
import { BackendGuard } from '../../src/modules/auth-common/index.js';
import { authRedis, type AuthRedisConfig } from '../../src/modules/auth-redis/index.js';
import { RedisAuth, type RedisAuthRules } from '../../src/modules/auth-redis/redis-auth.js';
import type { RedisExec } from '../../src/modules/auth-redis/redis-backend.js';
import { commandProblem, parseCommand, renderArgs } from '../../src/modules/auth-redis/redis-command.js';
import { aclRowsFromReply, authReply, isSuperuserReply } from '../../src/modules/auth-redis/redis-replies.js';
import { splitHostPort } from '../../src/modules/auth-redis/tls-options.js';

const log = pino({ level: 'silent' });

function client(over: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId: 'c1',
    username: 'u1',
    peerHost: '127.0.0.1',
    peerPort: 50000,
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
  };
}

const connect = (username: string | undefined, password: string | undefined, clientId = 'c1'): ConnectRequest => ({
  client: client({ username, clientId }),
  password: password === undefined ? undefined : Buffer.from(password),
});

/** A fake Redis: a map of hashes and strings, recording every command. */
class FakeRedis implements RedisExec {
  hashes = new Map<string, Record<string, string>>();
  calls: Array<{ name: string; args: string[] }> = [];
  failWith: Error | undefined;
  async exec(name: string, args: string[]): Promise<unknown> {
    this.calls.push({ name, args });
    if (this.failWith) throw this.failWith;
    const h = this.hashes.get(args[0]!);
    switch (name) {
      case 'HMGET':
        return args.slice(1).map((f) => h?.[f] ?? null);
      case 'HGET':
        return h?.[args[1]!] ?? null;
      case 'HGETALL':
        return { ...(h ?? {}) };
      default:
        throw new Error(`ERR unknown command '${name}'`);
    }
  }
}

const RULES: RedisAuthRules = {
  password_hash: { name: 'plain' },
  auth_cmd: 'HMGET mqtt_user:%u password',
  super_cmd: 'HGET mqtt_user:%u is_superuser',
  acl_cmd: 'HGETALL mqtt_acl:%u',
};

function setup(rules: Partial<RedisAuthRules> = {}, onError: 'ignore' | 'deny' = 'ignore') {
  const redis = new FakeRedis();
  const guard = new BackendGuard({ timeoutMs: 1000, onError, log, name: 'redis test' });
  const auth = new RedisAuth({ ...RULES, ...rules }, () => redis, guard);
  return { redis, guard, auth };
}

describe('auth-redis: command templates', () => {
  it('splits on spaces and replaces placeholders inside each argument', () => {
    const cmd = parseCommand('hmget  mqtt_user:%u password salt')!;
    assert.equal(cmd.name, 'HMGET');
    assert.deepEqual(renderArgs(cmd, { u: 'alice' }), ['mqtt_user:alice', 'password', 'salt']);
    assert.deepEqual(renderArgs(parseCommand('GET k:%c:%u:%C:%d:%x')!, { u: 'a', c: 'b', C: 'cn' }), ['k:b:a:cn::%x']);
    assert.deepEqual(renderArgs(parseCommand('GET ip:%a pw:%P')!, { a: '10.0.0.1', P: 'secret' }), ['ip:10.0.0.1', 'pw:secret']);
    assert.equal(parseCommand('   '), undefined);
  });

  it('property: a value never adds or splits arguments (no command injection)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (u, c) => {
        const cmd = parseCommand('HMGET mqtt_user:%u password %c')!;
        const args = renderArgs(cmd, { u, c });
        assert.equal(args.length, 3);
        assert.equal(args[0], `mqtt_user:${u}`);
        assert.equal(args[2], c);
      }),
    );
  });

  it('refuses commands that change data or the connection', () => {
    assert.equal(commandProblem('HGET mqtt_user:%u is_superuser'), undefined);
    assert.equal(commandProblem(''), undefined);
    assert.match(commandProblem('FLUSHALL')!, /FLUSHALL/);
    assert.match(commandProblem('select 1')!, /SELECT/);
    assert.match(commandProblem('{bad} x')!, /not a Redis command/);
  });

  it('host:port parsing', () => {
    assert.deepEqual(splitHostPort('10.0.0.1:7000', 6379), { host: '10.0.0.1', port: 7000 });
    assert.deepEqual(splitHostPort('[::1]:7000', 6379), { host: '::1', port: 7000 });
    assert.deepEqual(splitHostPort('redis', 6379), { host: 'redis', port: 6379 });
  });
});

describe('auth-redis: replies', () => {
  it('auth reply: array (password, salt), string, nil', () => {
    assert.deepEqual(authReply(['h', 's']), { password: 'h', salt: 's' });
    assert.deepEqual(authReply(['h', null]), { password: 'h' });
    assert.deepEqual(authReply('h'), { password: 'h' });
    assert.equal(authReply([null, null]), undefined);
    assert.equal(authReply(null), undefined);
  });

  it('superuser reply: 1 or true only', () => {
    assert.equal(isSuperuserReply('1'), true);
    assert.equal(isSuperuserReply('true'), true);
    assert.equal(isSuperuserReply(['1']), true);
    assert.equal(isSuperuserReply('0'), false);
    assert.equal(isSuperuserReply(null), false);
    assert.equal(isSuperuserReply('yes'), false);
  });

  it('acl reply: object or flat array; bad access skipped', () => {
    const rows = aclRowsFromReply({ 'a/#': '1', 'b/+': '2', c: '3', d: '4', e: 'x' });
    assert.deepEqual(
      rows.map((r) => [r.topic, r.access]),
      [['a/#', 1], ['b/+', 2], ['c', 3]],
    );
    assert.deepEqual(aclRowsFromReply(['t/1', '2', 't/2']).map((r) => r.topic), ['t/1']);
    assert.deepEqual(aclRowsFromReply(null), []);
  });
});

describe('auth-redis: authentication (fake Redis)', () => {
  it('right password allows, wrong denies 0x86, unknown user ignores', async () => {
    const { redis, auth } = setup();
    redis.hashes.set('mqtt_user:u1', { password: 'pw' });
    assert.deepEqual(await auth.authenticate(connect('u1', 'pw')), { result: 'allow', superuser: false });
    const denied = await auth.authenticate(connect('u1', 'nope'));
    assert.equal(denied.result, 'deny');
    assert.equal(denied.result === 'deny' && denied.reasonCode, 0x86);
    assert.deepEqual(await auth.authenticate(connect('ghost', 'pw')), { result: 'ignore' });
    assert.equal((await auth.authenticate(connect('u1', undefined))).result, 'deny', 'no password for a known user');
    assert.deepEqual(redis.calls[0], { name: 'HMGET', args: ['mqtt_user:u1', 'password'] });
  });

  it('superuser from super_cmd', async () => {
    const { redis, auth } = setup();
    redis.hashes.set('mqtt_user:root', { password: 'pw', is_superuser: '1' });
    assert.deepEqual(await auth.authenticate(connect('root', 'pw')), { result: 'allow', superuser: true });
  });

  it('salted sha256 (suffix) with the salt as second value', async () => {
    const { redis, auth } = setup({ auth_cmd: 'HMGET mqtt_user:%u password salt', password_hash: { name: 'sha256', salt_position: 'suffix' } });
    const hash = createHash('sha256').update('pw' + 'NaCl').digest('hex');
    redis.hashes.set('mqtt_user:u1', { password: hash, salt: 'NaCl' });
    assert.equal((await auth.authenticate(connect('u1', 'pw'))).result, 'allow');
    assert.equal((await auth.authenticate(connect('u1', 'pw2'))).result, 'deny');
  });

  it('empty auth_cmd ignores without a command', async () => {
    const { redis, auth } = setup({ auth_cmd: '' });
    assert.deepEqual(await auth.authenticate(connect('u1', 'pw')), { result: 'ignore' });
    assert.equal(redis.calls.length, 0);
  });

  it('backend error: ignore or deny as configured, degraded with the reason, running after recovery', async () => {
    for (const mode of ['ignore', 'deny'] as const) {
      const { redis, auth, guard } = setup({}, mode);
      redis.hashes.set('mqtt_user:u1', { password: 'pw' });
      redis.failWith = new Error('connection refused');
      const decision = await auth.authenticate(connect('u1', 'pw'));
      assert.equal(decision.result, mode);
      const health = guard.health();
      assert.equal(health.state, 'degraded');
      assert.match(health.state === 'degraded' ? health.reason : '', /connection refused/);
      assert.equal((await auth.authorize(client(), 'publish', 't')).result, mode);
      redis.failWith = undefined;
      assert.equal((await auth.authenticate(connect('u1', 'pw'))).result, 'allow');
      assert.equal(guard.health().state, 'running');
    }
  });
});

describe('auth-redis: ACL (fake Redis)', () => {
  it('access 1 subscribe, 2 publish, 3 both; no match ignores', async () => {
    const { redis, auth } = setup();
    redis.hashes.set('mqtt_acl:u1', { 'sub/only': '1', 'pub/+': '2', 'both/#': '3', 'own/%u/#': '3' });
    const c = client();
    assert.equal((await auth.authorize(c, 'subscribe', 'sub/only')).result, 'allow');
    assert.equal((await auth.authorize(c, 'publish', 'sub/only')).result, 'ignore');
    assert.equal((await auth.authorize(c, 'publish', 'pub/x')).result, 'allow');
    assert.equal((await auth.authorize(c, 'subscribe', 'pub/x')).result, 'ignore');
    assert.equal((await auth.authorize(c, 'publish', 'both/a/b')).result, 'allow');
    assert.equal((await auth.authorize(c, 'subscribe', 'both/#')).result, 'allow');
    assert.equal((await auth.authorize(c, 'publish', 'own/u1/x')).result, 'allow');
    assert.equal((await auth.authorize(c, 'publish', 'own/u2/x')).result, 'ignore');
    assert.equal((await auth.authorize(client({ username: 'nobody' }), 'publish', 'pub/x')).result, 'ignore');
  });

  it('a $-username is not looked up (4.x)', async () => {
    const { redis, auth } = setup();
    assert.equal((await auth.authorize(client({ username: '$sys' }), 'publish', 't')).result, 'ignore');
    assert.equal(redis.calls.length, 0);
  });
});

describe('auth-redis: check()', () => {
  const base = (over: Partial<AuthRedisConfig> = {}): AuthRedisConfig => ({
    redis_type: 'single',
    servers: ['127.0.0.1:6379'],
    sentinel: '',
    database: 0,
    password: '',
    pool_size: 8,
    query_timeout: '5s',
    password_hash: { name: 'plain' },
    auth_cmd: 'HMGET mqtt_user:%u password',
    super_cmd: '',
    acl_cmd: '',
    on_backend_error: 'ignore',
    ...over,
  });

  it('accepts the 4.x defaults and the sentinel/cluster shapes', () => {
    assert.deepEqual(authRedis.check!(base()), []);
    assert.deepEqual(authRedis.check!(base({ redis_type: 'sentinel', sentinel: 'mymaster', servers: ['a:26379', 'b:26379'] })), []);
    assert.deepEqual(authRedis.check!(base({ redis_type: 'cluster', servers: ['a:7000', 'b:7001', 'c:7002'] })), []);
  });

  it('refuses a sentinel without name, several single servers, a bad command, a zero timeout', () => {
    const pointers = (c: AuthRedisConfig) => authRedis.check!(c).map((p) => p.pointer);
    assert.deepEqual(pointers(base({ redis_type: 'sentinel' })), ['/sentinel']);
    assert.deepEqual(pointers(base({ servers: ['a:1', 'b:2'] })), ['/servers']);
    assert.deepEqual(pointers(base({ acl_cmd: 'FLUSHDB' })), ['/acl_cmd']);
    assert.deepEqual(pointers(base({ query_timeout: '0s' })), ['/query_timeout']);
  });
});

describe('auth-redis: sentinel and cluster connections (construction only: no sentinel/cluster runs here)', () => {
  for (const redisType of ['sentinel', 'cluster'] as const) {
    it(`${redisType}: constructed from the config; with nothing listening a command fails within the guard, close frees it`, async () => {
      const { freePort } = await import('../helpers/free-port.js');
      const { RedisBackend } = await import('../../src/modules/auth-redis/redis-backend.js');
      const port = await freePort();
      const backend = new RedisBackend(
        { redis_type: redisType, servers: [`127.0.0.1:${port}`], sentinel: 'mymaster', database: 0, password: '', pool_size: 8 },
        300,
        '/tmp',
      );
      const guard = new BackendGuard({ timeoutMs: 300, onError: 'deny', log, name: `redis ${redisType}` });
      try {
        const answer = await guard.run('probe', () => backend.exec('PING', []));
        assert.equal(answer.ok, false);
        assert.equal(guard.health().state, 'degraded');
        assert.equal(backend.connected, false);
      } finally {
        await backend.close();
      }
    });
  }
});
