import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runValidate, type ValidateOptions } from '../../src/cli/validate.js';

const dir = fileURLToPath(new URL('../fixtures/validate/', import.meta.url));
const schemasDir = fileURLToPath(new URL('../fixtures/schemas/', import.meta.url));

async function run(files: string[], options: ValidateOptions = {}) {
  let out = '';
  let err = '';
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) } };
  const code = await runValidate(files, { schemasDir, cwd: dir, ...options }, io);
  return { code, out, err };
}

test('valid JSON and HOCON files exit 0', async () => {
  const r = await run(['cluster-valid.json', 'module-valid.json', 'cluster-valid.conf']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^cluster-valid\.json: ok \(cluster\)$/m);
  assert.match(r.out, /^module-valid\.json: ok \(module\)$/m);
  assert.match(r.out, /^cluster-valid\.conf: ok \(cluster\)$/m);
});

test('invalid files exit 1 with file:line:col, pointer, message and keyword', async () => {
  const r = await run(['cluster-invalid.json', 'module-invalid.json']);
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  assert.ok(lines.includes("cluster-invalid.json:4:5: error /settings/acl_nomatch: must be equal to one of the allowed values: 'allow', 'deny' [enum]"));
  assert.ok(lines.includes("cluster-invalid.json:9:7: error /modules/1/id: duplicate module id 'demo-sink' (first used at /modules/0) [unique-id]"));
  assert.ok(lines.some((l) => l.startsWith('cluster-invalid.json:9:7: error /modules/1/id:') && l.endsWith('[singleton]')));
  assert.ok(lines.includes("cluster-invalid.json:8:67: error /modules/0/config/server: must have required property 'server' [required]"));
  assert.ok(lines.includes("cluster-invalid.json:11:22: error /modules/3/type: unknown module type 'ghost' [unknown-type]"));
  assert.ok(lines.some((l) => l.startsWith('module-invalid.json:7:9: error /config/routes/0/filter: must be a valid MQTT topic filter')));
});

test('HOCON problems are located by the HOCON locator', async () => {
  const r = await run(['cluster-invalid.conf']);
  assert.equal(r.code, 1);
  assert.match(r.out, /^cluster-invalid\.conf:3:3: error \/settings\/acl_deny_action: .*'ignore', 'disconnect' \[enum\]$/m);
  assert.match(r.out, /^cluster-invalid\.conf:12:7: error \/modules\/0\/config\/timeout: must be a valid duration/m);
});

test('unreadable or unparseable files exit 2, and 2 wins over 1', async () => {
  const broken = await run(['broken.json']);
  assert.equal(broken.code, 2);
  assert.match(broken.out, /^broken\.json:4:18: error \(root\): invalid JSON: property name expected \[parse\]$/m);
  const hocon = await run(['broken.conf']);
  assert.equal(hocon.code, 2);
  assert.match(hocon.out, /^broken\.conf:\d+:\d+: error \(root\): invalid HOCON: .+\[parse\]$/m);
  const mixed = await run(['cluster-invalid.json', 'does-not-exist.json', 'cluster-valid.json']);
  assert.equal(mixed.code, 2);
  assert.match(mixed.out, /^does-not-exist\.json: error \(root\): cannot read file \(ENOENT\) \[read\]$/m);
});

test('an ambiguous document is invalid unless --kind says what it is', async () => {
  const r = await run(['ambiguous.json']);
  assert.equal(r.code, 1);
  assert.match(r.out, /\[kind\]$/m);
  const forced = await run(['ambiguous.json'], { kind: 'cluster' });
  assert.equal(forced.code, 1);
  assert.match(forced.out, /error \/hello: must NOT have additional property 'hello' \[additionalProperties\]/);
});

test('--format json lists every file with kind, validity and located problems', async () => {
  const r = await run(['cluster-valid.json', 'module-invalid.json', 'broken.json'], { format: 'json' });
  assert.equal(r.code, 2);
  const report = JSON.parse(r.out) as { files: Array<{ file: string; kind: string | null; valid: boolean; problems: Array<Record<string, unknown>>; error?: string }> };
  assert.deepEqual(report.files.map((f) => [f.file, f.kind, f.valid]), [
    ['cluster-valid.json', 'cluster', true],
    ['module-invalid.json', 'module', false],
    ['broken.json', null, false],
  ]);
  assert.deepEqual(report.files[1]?.problems[0], {
    pointer: '/config/routes/0/filter',
    keyword: 'pattern',
    message: 'must be a valid MQTT topic filter (e.g. "sensors/+/temperature", "devices/#", "$SYS/brokers/+/clients/#")',
    file: 'module-invalid.json',
    line: 7,
    column: 9,
  });
  assert.ok(report.files[2]?.error?.startsWith('invalid JSON'));
});

test('--format github prints workflow annotations with escaping', async () => {
  const r = await run(['cluster-invalid.json', 'cluster-valid.json'], { format: 'github' });
  assert.equal(r.code, 1);
  const lines = r.out.trim().split('\n');
  assert.ok(lines.every((l) => l.startsWith('::error file=cluster-invalid.json,line=')));
  assert.ok(lines.includes("::error file=cluster-invalid.json,line=4,col=5,title=modmq validate::/settings/acl_nomatch: must be equal to one of the allowed values: 'allow', 'deny'"));
});

test('github escaping of properties and data', async () => {
  const { escapeData, escapeProperty } = await import('../../src/cli/validate.js');
  assert.equal(escapeData('100%\r\nok'), '100%25%0D%0Aok');
  assert.equal(escapeProperty('a:b,c%'), 'a%3Ab%2Cc%25');
});
