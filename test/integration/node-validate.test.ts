/**
 * `modmq validate` through the binary, with the real schemas, on files written to a temp dir:
 * exit codes 0/1/2, file:line:col with JSON pointers, and GitHub workflow annotations.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, removeTempDir, runModmq } from '../helpers/node-process.js';

let dir: string;
const validate = (...args: string[]) => runModmq(['validate', ...args], { cwd: dir });

const CLUSTER_OK = {
  version: 1,
  settings: { allow_anonymous: true },
  modules: [
    { id: 'presence', type: 'presence', schemaVersion: 1, enabled: true, config: { qos: 1 } },
    {
      id: 'topic-rewrite',
      type: 'topic-rewrite',
      schemaVersion: 1,
      config: { rules: [{ action: 'publish', source_topic: 'a/#', re: '^a/(.+)$', dest_topic: 'b/$1' }] },
    },
  ],
};

before(async () => {
  dir = await makeTempDir('modmq-validate-');
  await writeFile(join(dir, 'cluster.json'), JSON.stringify(CLUSTER_OK, null, 2));
  await writeFile(
    join(dir, 'node.conf'),
    'node { name = "a@127.0.0.1", data_dir = "/var/lib/modmq" }\nlisteners.tcp.port = 1884\napi { port = 18084 }\n',
  );
  await writeFile(join(dir, 'module.json'), JSON.stringify({ type: 'presence', config: { qos: 2 } }));
  // Line 4: qos out of range; line 7: a regex that does not compile (the type's semantic check).
  await writeFile(
    join(dir, 'bad-cluster.json'),
    [
      '{',
      '  "version": 1,',
      '  "modules": [',
      '    { "id": "presence", "type": "presence", "schemaVersion": 1, "config": { "qos": 3 } },',
      '    { "id": "topic-rewrite", "type": "topic-rewrite", "schemaVersion": 1, "config": { "rules": [',
      '      { "action": "publish", "source_topic": "a/#",',
      '        "re": "(", "dest_topic": "b" } ] } }',
      '  ]',
      '}',
    ].join('\n'),
  );
  await writeFile(join(dir, 'bad-node.conf'), 'node {\n  name = "a@127.0.0.1"\n}\nlisteners {\n  tcp { port = 70000 }\n}\n');
  await writeFile(join(dir, 'broken.json'), '{ "version": 1, ');
});
after(async () => {
  await removeTempDir(dir);
});

describe('modmq validate (binary)', () => {
  test('valid cluster, node (HOCON) and module files exit 0', async () => {
    const r = await validate('cluster.json', 'node.conf', 'module.json');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^cluster\.json: ok \(cluster\)$/m);
    assert.match(r.stdout, /^node\.conf: ok \(node\)$/m);
    assert.match(r.stdout, /^module\.json: ok \(module\)$/m);
  });

  test('invalid files exit 1 with file:line:col and the JSON pointer', async () => {
    const r = await validate('bad-cluster.json', 'bad-node.conf');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^bad-cluster\.json:4:\d+: error \/modules\/0\/config\/qos: .*\[\w+\]$/m);
    assert.match(r.stdout, /^bad-cluster\.json:7:\d+: error \/modules\/1\/config\/rules\/0\/re: /m);
    assert.match(r.stdout, /^bad-node\.conf:5:\d+: error \/listeners\/tcp\/port: /m);
  });

  test('an unparseable or missing file exits 2, even next to an invalid one', async () => {
    const broken = await validate('broken.json');
    assert.equal(broken.code, 2);
    assert.match(broken.stdout, /^broken\.json:\d+:\d+: error \(root\): invalid JSON/m);
    const mixed = await validate('bad-cluster.json', 'missing.json');
    assert.equal(mixed.code, 2);
    assert.match(mixed.stdout, /^missing\.json: error \(root\): cannot read file/m);
  });

  test('--format github prints workflow annotations', async () => {
    const r = await validate('--format', 'github', 'bad-cluster.json', 'cluster.json');
    assert.equal(r.code, 1);
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::error '));
    assert.ok(annotations.length >= 2, r.stdout);
    assert.ok(annotations.some((l) => /^::error file=bad-cluster\.json,line=4,col=\d+(,[^:]*)?::.*\/modules\/0\/config\/qos/.test(l)), r.stdout);
    assert.doesNotMatch(r.stdout, /file=cluster\.json/);
  });

  test('--format json reports each file', async () => {
    const r = await validate('--format', 'json', 'cluster.json', 'bad-node.conf');
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as unknown;
    const files = (Array.isArray(report) ? report : (report as { files: unknown[] }).files) as Array<{ file: string; valid: boolean }>;
    assert.deepEqual(files.map((f) => [f.file, f.valid]), [['cluster.json', true], ['bad-node.conf', false]]);
  });
});
