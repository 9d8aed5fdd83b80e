import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { CliExit, type CliIo } from '../../src/cli/io.js';
import { runStart, type StartNodeFn } from '../../src/cli/start.js';
import type { NodeConfig } from '../../src/node/node-config.js';

const fixtures = fileURLToPath(new URL('../fixtures/node/', import.meta.url));

function io(env: Record<string, string> = {}): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (l) => lines.push(l),
    err: (l) => errors.push(l),
    write: () => {},
    env,
    cwd: '/srv',
    readStdin: async () => '',
    fetch: globalThis.fetch.bind(globalThis),
  };
}

describe('modmq start', () => {
  test('starts with file < env < flags, prints listeners, stops on SIGTERM', async () => {
    const signals = new EventEmitter();
    let seenConfig: NodeConfig | undefined;
    let seenPassword: string | undefined;
    let stops = 0;
    const startNode: StartNodeFn = async (config, options) => {
      seenConfig = config;
      seenPassword = options.adminPassword;
      options.print('a notice');
      return {
        listeners: [{ name: 'tcp', kind: 'tcp', host: '0.0.0.0', port: 1999 }],
        api: { host: '127.0.0.1', port: 18099 },
        stop: async () => {
          stops += 1;
        },
      };
    };
    const t = io({ MODMQ_API__PORT: '0', MODMQ_ADMIN_PASSWORD: 'pw' });
    await runStart(t, { config: join(fixtures, 'valid.conf'), mqttPort: 1999, nodeName: 'cli@x' }, {
      startNode,
      signals,
      logger: () => pino({ level: 'silent' }),
      onStarted: () => signals.emit('SIGTERM'),
    });
    assert.equal(stops, 1);
    assert.equal(seenPassword, 'pw');
    assert.equal(seenConfig?.listeners.tcp.port, 1999);
    assert.equal(seenConfig?.node.name, 'cli@x');
    assert.equal(seenConfig?.api.port, 0);
    assert.equal(seenConfig?.node.data_dir, '/srv/var/n1');
    assert.deepEqual(t.lines, ['a notice', 'listening: mqtt tcp 0.0.0.0:1999', 'listening: api http://127.0.0.1:18099/api/v1']);
    assert.equal(signals.listenerCount('SIGTERM'), 0);
    assert.equal(signals.listenerCount('SIGINT'), 0);
  });

  test('a second signal while stopping forces the exit', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    let finish: () => void = () => {};
    await runStart(io(), {}, {
      startNode: async () => ({
        listeners: [],
        api: { host: '0.0.0.0', port: 1 },
        stop: () =>
          new Promise<void>((r) => {
            finish = r;
          }),
      }),
      signals,
      logger: () => pino({ level: 'silent' }),
      forceExit: (code) => {
        exits.push(code);
        finish();
      },
      onStarted: () => {
        signals.emit('SIGINT');
        signals.emit('SIGINT');
      },
    });
    assert.deepEqual(exits, [130]);
  });

  test('an invalid node config prints file: pointer: message and exits 1 without starting', async () => {
    const t = io();
    let started = false;
    await assert.rejects(
      runStart(t, { config: join(fixtures, 'invalid.conf') }, {
        startNode: async () => {
          started = true;
          throw new Error('unreachable');
        },
      }),
      (err: unknown) => err instanceof CliExit && err.exitCode === 1,
    );
    assert.equal(started, false);
    assert.ok(t.errors.some((l) => l === `${join(fixtures, 'invalid.conf')}: /listeners/tcp/port: must be <= 65535`), t.errors.join('\n'));
  });

  test('a malformed node config names file and line', async () => {
    const t = io();
    await assert.rejects(runStart(t, { config: join(fixtures, 'malformed.conf') }, {}), CliExit);
    assert.match(t.errors[0] ?? '', /malformed\.conf:\d+:\d+: /);
  });
});
