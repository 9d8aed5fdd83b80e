import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { emptyDocument, type ClusterDocument } from '../../src/store/cluster-document.js';
import { RevisionConflictError } from '../../src/store/config-store.js';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { openMemoryStore, openSqliteStore } from '../../src/store/sqlite-store.js';

function docWith(n: number): ClusterDocument {
  const doc = emptyDocument();
  doc.modules.push({ id: `m-${n}`, type: 'presence', schemaVersion: 1, enabled: true, config: { n } });
  return doc;
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modmq-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sqlite config store', () => {
  it('starts at revision 0 with the empty document', async () => {
    const store = openMemoryStore();
    const cur = await store.current();
    assert.equal(cur.revision, 0);
    assert.deepEqual(cur.document, emptyDocument());
    assert.deepEqual(await store.history(), []);
    assert.deepEqual((await store.get(0))?.document, emptyDocument());
    assert.equal(await store.get(1), undefined);
    await store.close();
  });

  it('commits revisions 1, 2, ... and lists history newest first', async () => {
    const store = openMemoryStore();
    const r1 = await store.commit({ document: docWith(1), author: 'admin', summary: 'add module m-1' });
    const r2 = await store.commit({ document: docWith(2), author: 'cli', summary: 'add module m-2', expectedRevision: 1 });
    assert.deepEqual([r1.revision, r2.revision], [1, 2]);
    assert.deepEqual((await store.current()).document, docWith(2));
    assert.deepEqual((await store.get(1))?.document, docWith(1));
    const history = await store.history();
    assert.deepEqual(history.map((h) => [h.revision, h.author, h.summary]), [
      [2, 'cli', 'add module m-2'],
      [1, 'admin', 'add module m-1'],
    ]);
    assert.deepEqual((await store.history(1)).map((h) => h.revision), [2]);
    assert.ok(!Number.isNaN(Date.parse(history[0]!.at)));
    await store.close();
  });

  it('stores a copy: changing the committed object later changes nothing', async () => {
    const store = openMemoryStore();
    const doc = docWith(1);
    await store.commit({ document: doc, author: 'a', summary: 's' });
    doc.modules.length = 0;
    assert.equal((await store.current()).document.modules.length, 1);
    await store.close();
  });

  it('compare-and-set: of two writers based on the same revision, one gets a conflict', async () => {
    const file = join(dir, 'cas.db');
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    const base = (await a.current()).revision;
    const results = await Promise.allSettled([
      a.commit({ document: docWith(1), author: 'a', summary: 'a', expectedRevision: base }),
      b.commit({ document: docWith(2), author: 'b', summary: 'b', expectedRevision: base }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(failed.length, 1);
    assert.ok(failed[0]!.reason instanceof RevisionConflictError);
    assert.equal(failed[0]!.reason.expected, base);
    assert.equal(failed[0]!.reason.current, base + 1);
    assert.equal((await b.current()).revision, base + 1);
    await a.close();
    await b.close();
  });

  it('a commit without expectedRevision always goes on top', async () => {
    const store = openMemoryStore();
    await store.commit({ document: docWith(1), author: 'a', summary: 's' });
    const r = await store.commit({ document: docWith(2), author: 'a', summary: 's' });
    assert.equal(r.revision, 2);
    await assert.rejects(store.commit({ document: docWith(3), author: 'a', summary: 's', expectedRevision: 1 }), RevisionConflictError);
    assert.equal((await store.current()).revision, 2);
    await store.close();
  });

  it('caps history: oldest revisions pruned, the current kept', async () => {
    const store = openMemoryStore({ historyCap: 3 });
    for (let i = 1; i <= 5; i++) await store.commit({ document: docWith(i), author: 'a', summary: `s${i}` });
    assert.deepEqual((await store.history()).map((h) => h.revision), [5, 4, 3]);
    assert.equal(await store.get(2), undefined);
    assert.equal((await store.current()).revision, 5);
    const one = openMemoryStore({ historyCap: 1 });
    for (let i = 1; i <= 3; i++) await one.commit({ document: docWith(i), author: 'a', summary: 's' });
    assert.deepEqual((await one.history()).map((h) => h.revision), [3]);
    assert.deepEqual((await one.current()).document, docWith(3));
    await store.close();
    await one.close();
  });

  it('notifies its own watchers synchronously after a commit', async () => {
    const store = openMemoryStore();
    const seen: number[] = [];
    const unwatch = store.watch((r) => seen.push(r));
    const p = store.commit({ document: docWith(1), author: 'a', summary: 's' });
    await p;
    assert.deepEqual(seen, [1]);
    unwatch();
    await store.commit({ document: docWith(2), author: 'a', summary: 's' });
    assert.deepEqual(seen, [1]);
    await store.close();
  });

  it('notices a commit by another handle on the same file (another process)', async () => {
    const file = join(dir, 'watch.db');
    const writer = openSqliteStore(file);
    const reader = openSqliteStore(file, { pollIntervalMs: 10 });
    const seen = new Promise<number>((resolve) => {
      const unwatch = reader.watch((r) => {
        unwatch();
        resolve(r);
      });
    });
    // The store's poll timer is unref'd (it must not keep a node alive): hold the loop open here.
    const keepAlive = setInterval(() => undefined, 1000);
    await writer.commit({ document: docWith(7), author: 'cli', summary: 'offline edit' });
    assert.equal(await seen, 1);
    clearInterval(keepAlive);
    assert.deepEqual((await reader.current()).document, docWith(7));
    await writer.close();
    await reader.close();
  });

  it('migrates a new file to the current schema version and keeps data across reopen', async () => {
    const file = join(dir, 'reopen.db');
    const s1 = openSqliteStore(file);
    await s1.commit({ document: docWith(1), author: 'a', summary: 's' });
    await s1.close();
    const raw = new Database(file, { readonly: true });
    assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.close();
    const s2 = openSqliteStore(file);
    assert.equal((await s2.current()).revision, 1);
    await s2.close();
    assert.ok(existsSync(file));
  });

  it('refuses a database written by a newer modmq', async () => {
    const file = join(dir, 'newer.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(() => openSqliteStore(file), /newer/);
  });

  it('rejects use after close', async () => {
    const store = openMemoryStore();
    await store.close();
    await assert.rejects(store.current(), /closed/);
  });
});
