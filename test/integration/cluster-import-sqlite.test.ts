/**
 * `modmq cluster import-from-sqlite`: a single node's store (document and history) moves into a
 * cluster's Redis; a node of that cluster then runs it. Refused when Redis holds a document
 * (unless --force, which adds it on top); clear errors for a wrong dir or an unreachable Redis.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../src/cli/program.js';
import { openRedisStore } from '../../src/store/redis-store.js';
import { openNodeDatabase } from '../../src/store/node-database.js';
import { emptyDocument, type ClusterDocument } from '../../src/store/cluster-document.js';
import { clusterNodeConfig } from '../helpers/cluster.js';
import { rewriteRule, whereDoesItGo } from '../helpers/cluster-wait.js';
import { defaultConfig, makeTempDir, removeTempDir, startNodeProcess } from '../helpers/node-process.js';
import { startRedis, type RedisServer } from '../helpers/servers/redis.js';
import { freePort } from '../helpers/free-port.js';
import { captureIo } from '../helpers/capture-io.js';

let redis: RedisServer;
let dir: string;
before(async () => {
  redis = await startRedis();
  dir = await makeTempDir('modmq-import-');
});
after(async () => {
  await redis.stop();
  await removeTempDir(dir);
});

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const io = captureIo(dir);
  const code = await runCli(argv, io);
  return { code, out: io.lines, err: io.errors };
}

/** A node data dir whose store holds three revisions. */
async function seededDataDir(name: string): Promise<{ dataDir: string; documents: ClusterDocument[] }> {
  const dataDir = join(dir, name);
  await mkdir(dataDir, { recursive: true });
  const database = openNodeDatabase(dataDir);
  const documents: ClusterDocument[] = [];
  try {
    for (let i = 1; i <= 3; i++) {
      const document = emptyDocument();
      document.settings.allow_anonymous = i % 2 === 1;
      document.modules.push({ id: 'presence', type: 'presence', schemaVersion: 1, enabled: i !== 2, config: { qos: 0 } });
      await database.store.commit({ document, author: `author-${i}`, summary: `change ${i}` });
      documents.push(document);
    }
  } finally {
    await database.close();
  }
  return { dataDir, documents };
}

describe('modmq cluster import-from-sqlite', () => {
  test('copies every revision with its number; a second import is refused; --force adds the document on top', async () => {
    const { dataDir, documents } = await seededDataDir('one');
    const first = await run(['cluster', 'import-from-sqlite', '--data-dir', 'one', '--url', redis.url, '--name', 'imp']);
    assert.equal(first.code, 0, first.err.join('\n'));
    assert.match(first.out[0]!, /^imported 3 revision\(s\) from .*modmq\.db into cluster "imp" at redis:\/\/127\.0\.0\.1:\d+; current revision 3$/);

    const store = await openRedisStore({ url: redis.url, name: 'imp' });
    try {
      const current = await store.current();
      assert.equal(current.revision, 3);
      assert.deepEqual(current.document, documents[2]);
      assert.deepEqual((await store.get(2))?.document, documents[1]);
      assert.deepEqual(
        (await store.history()).map((h) => [h.revision, h.author, h.summary]),
        [
          [3, 'author-3', 'change 3'],
          [2, 'author-2', 'change 2'],
          [1, 'author-1', 'change 1'],
        ],
      );

      const again = await run(['cluster', 'import-from-sqlite', '--data-dir', dataDir, '--url', redis.url, '--name', 'imp']);
      assert.equal(again.code, 1);
      assert.match(again.err.join('\n'), /Redis already holds revision 3 of cluster "imp"; nothing imported\. --force adds/);
      assert.equal((await store.current()).revision, 3);

      // The document of the import now carries on as revision 4, after a change made in the cluster.
      await store.commit({ document: emptyDocument(), author: 'admin', summary: 'cleared' });
      const forced = await run(['cluster', 'import-from-sqlite', '--data-dir', dataDir, '--url', redis.url, '--name', 'imp', '--force']);
      assert.equal(forced.code, 0, forced.err.join('\n'));
      assert.match(forced.out[0]!, /^added revision 3 of .* to cluster "imp" .* as revision 5 \(--force\)$/);
      const top = await store.current();
      assert.equal(top.revision, 5);
      assert.equal(top.author, 'import-from-sqlite');
      assert.deepEqual(top.document, documents[2]);
      assert.equal((await store.history()).length, 5);
    } finally {
      await store.close();
    }
  });

  test('clear errors: no database in the dir, Redis unreachable, nothing to say where', async () => {
    const missing = await run(['cluster', 'import-from-sqlite', '--data-dir', 'nowhere', '--url', redis.url]);
    assert.equal(missing.code, 1);
    assert.match(missing.err[0]!, /^import-from-sqlite: no node database at .*nowhere\/modmq\.db/);

    await seededDataDir('two');
    const closedPort = await freePort('127.0.0.1');
    const unreachable = await run(['cluster', 'import-from-sqlite', '--data-dir', 'two', '--url', `redis://127.0.0.1:${closedPort}`]);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.err[0]!, /^import-from-sqlite: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+/);

    const noUrl = await run(['cluster', 'import-from-sqlite', '--data-dir', 'two']);
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.err[0]!, /give --url/);
    const noDir = await run(['cluster', 'import-from-sqlite', '--url', redis.url]);
    assert.equal(noDir.code, 2);
    assert.match(noDir.err[0]!, /give --data-dir DIR or -c NODE_CONFIG/);
  });

  test('a real single node moves into a cluster: a cluster node runs its modules at the same revision', async () => {
    const single = await startNodeProcess({ config: defaultConfig('solo@127.0.0.1') });
    let revision: number;
    try {
      revision = (await single.json<{ revision: number }>('POST', '/modules?wait=true', { type: 'topic-rewrite', config: rewriteRule('mv', 'moved') })).revision;
      assert.equal((await single.stop()).code, 0);
      // -c: data_dir from the node config, Redis and name from flags (the node ran without a cluster).
      const imported = await single.cli(['cluster', 'import-from-sqlite', '-c', 'modmq.conf', '--url', redis.url, '--name', 'moved']);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, new RegExp(`current revision ${revision}\\n`));
    } finally {
      await single.close();
    }
    const clustered = await startNodeProcess({ config: clusterNodeConfig(1, redis.url, 'moved') });
    try {
      const listed = await clustered.json<{ revision: number; modules: Array<{ id: string }> }>('GET', '/modules');
      assert.equal(listed.revision, revision);
      assert.ok(listed.modules.some((m) => m.id === 'topic-rewrite'));
      await clustered.waitApplied(revision);
      assert.equal(await whereDoesItGo(clustered, 'mv', 'moved'), 'moved/x');
    } finally {
      await clustered.close();
    }
  });
});
