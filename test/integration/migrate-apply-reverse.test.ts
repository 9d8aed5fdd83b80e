/**
 * --apply against a real node (second apply changes nothing), --reverse round trip, and mangled
 * inputs ending with exit 1/2 and clean messages.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { runCli } from '../../src/cli/program.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { captureIo } from '../helpers/capture-io.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../legacy-fixtures');
const single = path.join(fixtures, '4.2-single', 'emqx42');

let temp = '';
before(async () => {
  temp = await mkdtemp(path.join(tmpdir(), 'modmq-migrate-'));
});
after(() => rm(temp, { recursive: true, force: true }));

describe('migrate --apply', () => {
  let node: RunningNode | undefined;
  after(() => node?.stop());

  it('pushes the document with compare-and-set, and a second apply changes nothing', async () => {
    node = await startNode(
      {
        node: { name: 'apply-test@127.0.0.1', data_dir: path.join(temp, 'node-data') },
        listeners: {
          tcp: { enable: true, bind: '127.0.0.1', port: 0 },
          tls: { enable: false, bind: '127.0.0.1', port: 0, verify: false },
          ws: { enable: false, bind: '127.0.0.1', port: 0, path: '/mqtt' },
          wss: { enable: false, bind: '127.0.0.1', port: 0, path: '/mqtt', verify: false },
        },
        api: { bind: '127.0.0.1', port: 0 },
        log: { level: 'silent' },
      },
      { log: pino({ level: 'silent' }), adminPassword: 'migrate-secret', print: () => {} },
    );
    const url = `http://admin:migrate-secret@127.0.0.1:${node.api.port}`;
    const first = captureIo(temp);
    assert.equal(await runCli(['migrate', single, '--apply', url], first), 0, first.errors.join('\n'));
    assert.ok(first.lines.some((l) => /^applied: revision \d+ -> \d+$/.test(l)), first.lines.join('\n'));
    const second = captureIo(temp, { MODMQ_API_USER: 'admin', MODMQ_API_PASSWORD: 'migrate-secret' });
    assert.equal(await runCli(['migrate', single, '--apply', `http://127.0.0.1:${node.api.port}`], second), 0, second.errors.join('\n'));
    const revision = /-> (\d+)$/.exec(first.lines.find((l) => l.startsWith('applied')) ?? '')?.[1];
    assert.ok(second.lines.some((l) => l.startsWith('unchanged:') && l.endsWith(`(revision ${revision})`)), second.lines.join('\n'));
    const bad = captureIo(temp);
    assert.equal(await runCli(['migrate', single, '--apply', `http://admin:wrong@127.0.0.1:${node.api.port}`], bad), 1);
    assert.ok(bad.errors.length > 0);
  });
});

describe('migrate --reverse', () => {
  it('writes legacy files that migrate back to the same document', async () => {
    const out = path.join(temp, 'forward');
    const io = captureIo(temp);
    assert.equal(await runCli(['migrate', single, '--out', out], io), 0, io.errors.join('\n'));
    const reversed = path.join(temp, 'reversed', 'emqx42');
    const rio = captureIo(temp);
    const code = await runCli(['migrate', '--reverse', path.join(out, 'cluster.json'), '--out', reversed], rio);
    assert.ok(code === 0 || code === 1, rio.errors.join('\n'));
    const emqxConf = await readFile(path.join(reversed, 'etc', 'emqx.conf'), 'latin1');
    assert.match(emqxConf, /^allow_anonymous = true$/m);
    assert.match(emqxConf, /^acl_cache_ttl = 2m$/m);
    const again = path.join(temp, 'again');
    const aio = captureIo(temp);
    await runCli(['migrate', reversed, '--out', again], aio);
    const a = JSON.parse(await readFile(path.join(out, 'cluster.json'), 'utf8'));
    const b = JSON.parse(await readFile(path.join(again, 'cluster.json'), 'utf8'));
    const skipped = new Set(rio.errors.map((l) => /^module (\S+):/.exec(l)?.[1]).filter(Boolean));
    assert.deepEqual(b.settings, a.settings);
    assert.deepEqual(
      b.modules.filter((m: { id: string }) => !skipped.has(m.id)),
      a.modules.filter((m: { id: string }) => !skipped.has(m.id)),
    );
  });
});

describe('mangled inputs', () => {
  it('exits 2 for a missing node directory and for a directory that is not a node', async () => {
    const io = captureIo(temp);
    assert.equal(await runCli(['migrate', path.join(temp, 'nope'), '--out', path.join(temp, 'o1')], io), 2);
    assert.match(io.errors.join('\n'), /cannot read .*nope: not a directory/);
    const empty = path.join(temp, 'empty-node');
    await mkdir(empty, { recursive: true });
    const io2 = captureIo(temp);
    assert.equal(await runCli(['migrate', empty, '--out', path.join(temp, 'o2')], io2), 2);
    assert.ok(io2.errors.some((l) => l.startsWith('cannot read')));
  });

  it('exits 2 for an EE export that is not a file, 1 for a broken conf with file:line', async () => {
    const io = captureIo(temp);
    assert.equal(await runCli(['migrate', '--ee-export', path.join(temp, 'missing.json'), '--out', path.join(temp, 'o3')], io), 2);
    const broken = path.join(temp, 'broken', 'n1');
    await mkdir(path.join(broken, 'etc', 'plugins'), { recursive: true });
    await writeFile(path.join(broken, 'etc', 'emqx.conf'), 'node.name = a@b\nallow_anonymous =\nacl_nomatch = perhaps\n');
    await writeFile(path.join(broken, 'etc', 'plugins', 'emqx_retainer.conf'), 'retainer.max_payload_size = 1Kb\n');
    const io2 = captureIo(temp);
    const code = await runCli(['migrate', broken, '--out', path.join(temp, 'o4')], io2);
    assert.equal(code, 1, io2.errors.join('\n'));
    assert.ok(io2.errors.some((l) => l.startsWith('n1/etc/emqx.conf:2')), io2.errors.join('\n'));
    const report = JSON.parse(await readFile(path.join(temp, 'o4', 'report.json'), 'utf8'));
    assert.deepEqual(Object.keys(report), ['summary', 'keys', 'conflicts', 'warnings']);
    assert.equal(report.summary.ok, false);
  });

  it('validate --legacy runs the same checks without writing', async () => {
    const io = captureIo(temp);
    assert.equal(await runCli(['validate', '--legacy', single], io), 0, io.errors.join('\n'));
    assert.ok(io.lines.some((l) => /1 node\(s\)/.test(l)));
    const io2 = captureIo(temp);
    assert.equal(await runCli(['validate', '--legacy', path.join(temp, 'nope')], io2), 2);
  });
});
