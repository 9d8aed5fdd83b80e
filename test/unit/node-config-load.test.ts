import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ModmqError } from '../../src/errors.js';
import type { ValidationResult } from '../../src/schema/catalog.js';
import { configFromEnv, parseEnvValue } from '../../src/node/env-config.js';
import { formatConfigProblems, loadNodeConfig } from '../../src/node/load-config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = join(root, 'test', 'fixtures', 'node');

/** A stand-in for the schema catalog's validateNode, over the real schemas/node/v1.json. */
function localCatalog(): { validateNode(config: unknown): ValidationResult } {
  const ajv = new Ajv2020({ useDefaults: true, allErrors: true, strict: true });
  const validate = ajv.compile(JSON.parse(readFileSync(join(root, 'schemas/node/v1.json'), 'utf8')) as object);
  return {
    validateNode(config) {
      const copy = structuredClone(config);
      if (validate(copy)) return { ok: true, value: copy };
      return {
        ok: false,
        problems: (validate.errors ?? []).map((e) => ({
          pointer:
            e.keyword === 'additionalProperties'
              ? `${e.instancePath}/${String((e.params as { additionalProperty: string }).additionalProperty)}`
              : e.instancePath,
          keyword: e.keyword,
          message: e.message ?? 'invalid',
        })),
      };
    },
  };
}

const cwd = '/srv/modmq';
const base = { env: {}, catalog: localCatalog(), cwd };

describe('loadNodeConfig', () => {
  test('defaults only', async () => {
    const c = await loadNodeConfig(base);
    assert.deepEqual(c, {
      node: { name: 'modmq@127.0.0.1', data_dir: resolve(cwd, 'data') },
      listeners: {
        tcp: { enable: true, bind: '0.0.0.0', port: 1883 },
        tls: { enable: false, bind: '0.0.0.0', port: 8883, verify: false },
        ws: { enable: true, bind: '0.0.0.0', port: 8083, path: '/mqtt' },
        wss: { enable: false, bind: '0.0.0.0', port: 8084, path: '/mqtt', verify: false },
      },
      api: { bind: '0.0.0.0', port: 18083 },
      sys: { interval: '1m' },
      mqtt: { shared_subscription_strategy: 'round_robin', receive_maximum: 32, max_packet_size: '1MB', max_topic_alias: 65535 },
      log: { level: 'info' },
    });
  });

  test('file values over defaults', async () => {
    const c = await loadNodeConfig({ ...base, file: join(fixtures, 'valid.conf') });
    assert.equal(c.node.name, 'n1@10.0.0.1');
    assert.equal(c.node.data_dir, resolve(cwd, 'var/n1'));
    assert.equal(c.listeners.tcp.port, 1884);
    assert.equal(c.listeners.tcp.enable, true);
    assert.equal(c.listeners.ws.enable, false);
    assert.equal(c.listeners.ws.port, 8083);
    assert.deepEqual(c.api, { bind: '127.0.0.1', port: 18084 });
    assert.equal(c.log.level, 'debug');
  });

  test('env over file, flags over env', async () => {
    const env = {
      MODMQ_LISTENERS__TCP__PORT: '2883',
      MODMQ_API__PORT: '28083',
      MODMQ_LOG__LEVEL: 'warn',
      MODMQ_NODE__NAME: 'env@host',
      MODMQ_LISTENERS__WS__ENABLE: 'true',
      MODMQ_ADMIN_PASSWORD: 'not-config',
      MODMQ_API_URL: 'http://x',
    };
    const c = await loadNodeConfig({ ...base, env, file: join(fixtures, 'valid.conf') });
    assert.equal(c.listeners.tcp.port, 2883);
    assert.equal(c.api.port, 28083);
    assert.equal(c.log.level, 'warn');
    assert.equal(c.node.name, 'env@host');
    assert.equal(c.listeners.ws.enable, true);

    const f = await loadNodeConfig({
      ...base,
      env,
      file: join(fixtures, 'valid.conf'),
      overrides: { mqttPort: 0, apiPort: 0, nodeName: 'flag@host', dataDir: '/abs/dir', apiBind: '::1' },
    });
    assert.equal(f.listeners.tcp.port, 0);
    assert.equal(f.api.port, 0);
    assert.equal(f.node.name, 'flag@host');
    assert.equal(f.node.data_dir, '/abs/dir');
    assert.equal(f.api.bind, '::1');
    assert.equal(f.log.level, 'warn');
  });

  test('invalid values are one MODMQ_NODE_CONFIG error naming the file and pointers', async () => {
    const file = join(fixtures, 'invalid.conf');
    await assert.rejects(loadNodeConfig({ ...base, file }), (err: unknown) => {
      assert.ok(err instanceof ModmqError);
      assert.equal(err.code, 'MODMQ_NODE_CONFIG');
      const pointers = err.problems.map((p) => p.pointer).sort();
      assert.ok(pointers.includes('/listeners/tcp/port'), pointers.join());
      assert.ok(pointers.includes('/listeners/tls'), pointers.join());
      assert.ok(pointers.includes('/log/level'), pointers.join());
      assert.ok(err.problems.every((p) => p.file === file));
      const lines = formatConfigProblems(err);
      assert.ok(lines.includes(`${file}: /listeners/tcp/port: must be <= 65535`), lines.join('\n'));
      return true;
    });
  });

  test('a problem set by an env variable or a flag names it', async () => {
    await assert.rejects(
      loadNodeConfig({ ...base, env: { MODMQ_API__PORT: 'eighty' }, overrides: { mqttPort: 99999 } }),
      (err: unknown) => {
        assert.ok(err instanceof ModmqError);
        const lines = formatConfigProblems(err);
        assert.ok(lines.some((l) => l.startsWith('MODMQ_API__PORT: /api/port: ')), lines.join('\n'));
        assert.ok(lines.some((l) => l.startsWith('--mqtt-port: /listeners/tcp/port: ')), lines.join('\n'));
        return true;
      },
    );
  });

  test('an unknown key is rejected, not ignored', async () => {
    await assert.rejects(
      loadNodeConfig({ ...base, env: { MODMQ_LISTENERS__TCP__PROT: '1' } }),
      (err: unknown) => err instanceof ModmqError && err.problems.some((p) => p.pointer === '/listeners/tcp/prot'),
    );
  });

  test('enabled TLS listeners need certfile and keyfile', async () => {
    await assert.rejects(loadNodeConfig({ ...base, env: { MODMQ_LISTENERS__WSS__ENABLE: 'true' } }), ModmqError);
    const c = await loadNodeConfig({
      ...base,
      env: {
        MODMQ_LISTENERS__WSS__ENABLE: 'true',
        MODMQ_LISTENERS__WSS__CERTFILE: '/etc/c.pem',
        MODMQ_LISTENERS__WSS__KEYFILE: '/etc/k.pem',
      },
    });
    assert.equal(c.listeners.wss.certfile, '/etc/c.pem');
  });

  test('a malformed file names file and line', async () => {
    const file = join(fixtures, 'malformed.conf');
    await assert.rejects(loadNodeConfig({ ...base, file }), (err: unknown) => {
      assert.ok(err instanceof ModmqError);
      assert.equal(err.code, 'MODMQ_NODE_CONFIG');
      const [problem] = err.problems;
      assert.equal(problem?.file, file);
      assert.equal(typeof problem?.line, 'number');
      assert.match(formatConfigProblems(err)[0] ?? '', new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `));
      return true;
    });
  });

  test('a missing file is a MODMQ_NODE_CONFIG error', async () => {
    await assert.rejects(loadNodeConfig({ ...base, file: join(fixtures, 'include-tree', 'conf.d', 'nope.conf') }), ModmqError);
  });
});

describe('MODMQ_* environment variables', () => {
  test('only names with __ count; values parsed like EMQX 5', () => {
    const { value, sources } = configFromEnv({
      MODMQ_ADMIN_PASSWORD: 'x',
      MODMQ_LISTENERS__TCP__PORT: '1884',
      MODMQ_LISTENERS__TCP__ENABLE: 'false',
      MODMQ_NODE__NAME: 'a@b',
      OTHER__X: '1',
      MODMQ_BAD____X: '1',
    });
    assert.deepEqual(value, { listeners: { tcp: { port: 1884, enable: false } }, node: { name: 'a@b' } });
    assert.equal(sources.get('/listeners/tcp/port'), 'MODMQ_LISTENERS__TCP__PORT');
  });

  test('parseEnvValue', () => {
    assert.equal(parseEnvValue('true'), true);
    assert.equal(parseEnvValue('false'), false);
    assert.equal(parseEnvValue('0.75'), 0.75);
    assert.equal(parseEnvValue('-3'), -3);
    assert.equal(parseEnvValue('01'), '01');
    assert.equal(parseEnvValue('1883x'), '1883x');
    assert.equal(parseEnvValue('modmq@127.0.0.1'), 'modmq@127.0.0.1');
  });
});

describe('cluster backend', () => {
  test('redis needs a redis:// url; sqlite (the default) needs nothing', async () => {
    await assert.rejects(loadNodeConfig({ ...base, env: { MODMQ_CLUSTER__BACKEND: 'redis' } }), (err: unknown) => {
      assert.ok(err instanceof ModmqError);
      assert.ok(err.problems.some((p) => p.pointer.startsWith('/cluster')), JSON.stringify(err.problems));
      return true;
    });
    const c = await loadNodeConfig({
      ...base,
      env: { MODMQ_CLUSTER__BACKEND: 'redis', MODMQ_CLUSTER__URL: 'redis://127.0.0.1:6379' },
    });
    assert.deepEqual(c.cluster, { backend: 'redis', url: 'redis://127.0.0.1:6379', name: 'modmq', heartbeat: '1s' });
    assert.equal((await loadNodeConfig(base)).cluster, undefined);
  });

  test('the membership heartbeat is a duration above zero', async () => {
    const env = { MODMQ_CLUSTER__BACKEND: 'redis', MODMQ_CLUSTER__URL: 'redis://127.0.0.1:6379' };
    const c = await loadNodeConfig({ ...base, env: { ...env, MODMQ_CLUSTER__HEARTBEAT: '250ms' } });
    assert.equal(c.cluster?.heartbeat, '250ms');
    for (const bad of ['0s', 'soon']) {
      await assert.rejects(loadNodeConfig({ ...base, env: { ...env, MODMQ_CLUSTER__HEARTBEAT: bad } }), (err: unknown) => {
        assert.ok(err instanceof ModmqError);
        assert.ok(err.problems.some((p) => p.pointer === '/cluster/heartbeat'), JSON.stringify(err.problems));
        return true;
      });
    }
  });
});
