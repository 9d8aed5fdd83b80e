import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerSchemaCommand } from '../../src/cli/schema.js';
import type { CliIo } from '../../src/cli/io.js';
import { CliExit } from '../../src/cli/io.js';

const fixtures = fileURLToPath(new URL('../fixtures/schemas/', import.meta.url));

async function run(args: string[], cwd = process.cwd()) {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), cwd } as unknown as CliIo;
  const program = new Command('modmq').exitOverride();
  registerSchemaCommand(program, io);
  let code = 0;
  try {
    await program.parseAsync([...args, '--schemas-dir', fixtures], { from: 'user' });
  } catch (error) {
    if (error instanceof CliExit) code = error.exitCode;
    else throw error;
  }
  return { code, out, err };
}

test('schema list shows type, family and versions', async () => {
  const r = await run(['schema', 'list']);
  assert.match(r.out[0] as string, /^TYPE\s+FAMILY\s+VERSIONS/);
  assert.match(r.out.find((l) => l.startsWith('demo-multi')) as string, /^demo-multi\s+extension\s+v1,v2\s+no/);
  const json = await run(['schema', 'list', '--json']);
  assert.deepEqual((JSON.parse(json.out.join('\n')) as Array<{ type: string }>).map((t) => t.type), ['demo-multi', 'demo-sink']);
});

test('schema show prints a module schema by version, and cluster/node', async () => {
  const v1 = await run(['schema', 'show', 'demo-multi', '--version', '1']);
  assert.equal((JSON.parse(v1.out.join('\n')) as { $id: string }).$id, 'https://modmq.dev/schemas/modules/demo-multi/v1.json');
  const cluster = await run(['schema', 'show', 'cluster']);
  assert.equal((JSON.parse(cluster.out.join('\n')) as { $id: string }).$id, 'https://modmq.dev/schemas/cluster/v1.json');
  const missing = await run(['schema', 'show', 'ghost']);
  assert.equal(missing.code, 1);
  assert.match(missing.err[0] as string, /no schema for 'ghost'/);
});

test('schema export writes every file with its folder layout', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'modmq-schema-export-'));
  try {
    const r = await run(['schema', 'export', dir]);
    assert.match(r.out[0] as string, /^wrote \d+ schema file\(s\)/);
    const copied = JSON.parse(await readFile(path.join(dir, 'modules', 'demo-sink', 'v1.json'), 'utf8')) as { title: string };
    assert.equal(copied.title, 'Demo sink');
    const duration = JSON.parse(await readFile(path.join(dir, 'defs', 'duration.json'), 'utf8')) as { $id: string };
    assert.equal(duration.$id, 'https://modmq.dev/schemas/defs/duration.json');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
