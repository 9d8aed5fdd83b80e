/**
 * The behaviour every ConfigStore promises (src/store/config-store.ts), as one suite each
 * implementation runs: `configStoreContract('sqlite', harness)`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyDocument, type ClusterDocument } from '../../src/store/cluster-document.js';
import { RevisionConflictError, type ConfigStore } from '../../src/store/config-store.js';

export interface StoreHarness {
  /** A fresh, empty store of its own. */
  open(options?: { historyCap?: number }): Promise<ConfigStore>;
  /** Two handles on one fresh store, as two processes would hold; the second checks often. */
  openPair(): Promise<[ConfigStore, ConfigStore]>;
}

export function docWith(n: number): ClusterDocument {
  const doc = emptyDocument();
  doc.modules.push({ id: `m-${n}`, type: 'presence', schemaVersion: 1, enabled: true, config: { n } });
  return doc;
}

export function configStoreContract(name: string, harness: StoreHarness): void {
  describe(`config store contract: ${name}`, () => {
    it('starts at revision 0 with the empty document', async () => {
      const store = await harness.open();
      const cur = await store.current();
      assert.equal(cur.revision, 0);
      assert.deepEqual(cur.document, emptyDocument());
      assert.deepEqual(await store.history(), []);
      assert.deepEqual((await store.get(0))?.document, emptyDocument());
      assert.equal(await store.get(1), undefined);
      await store.close();
    });

    it('commits revisions 1, 2, ... and lists history newest first', async () => {
      const store = await harness.open();
      const r1 = await store.commit({ document: docWith(1), author: 'admin', summary: 'add module m-1' });
      const r2 = await store.commit({ document: docWith(2), author: 'cli', summary: 'add module m-2', expectedRevision: 1 });
      assert.deepEqual([r1.revision, r2.revision], [1, 2]);
      assert.deepEqual(r2.document, docWith(2));
      assert.equal(r2.author, 'cli');
      assert.deepEqual((await store.current()).document, docWith(2));
      const got = await store.get(1);
      assert.deepEqual(got?.document, docWith(1));
      assert.deepEqual([got?.author, got?.summary], ['admin', 'add module m-1']);
      const history = await store.history();
      assert.deepEqual(history.map((h) => [h.revision, h.author, h.summary]), [
        [2, 'cli', 'add module m-2'],
        [1, 'admin', 'add module m-1'],
      ]);
      assert.ok(!('document' in history[0]!));
      assert.deepEqual((await store.history(1)).map((h) => h.revision), [2]);
      assert.deepEqual(await store.history(0), []);
      assert.ok(!Number.isNaN(Date.parse(history[0]!.at)));
      await store.close();
    });

    it('stores a copy: changing the committed object later changes nothing', async () => {
      const store = await harness.open();
      const doc = docWith(1);
      await store.commit({ document: doc, author: 'a', summary: 's' });
      doc.modules.length = 0;
      assert.equal((await store.current()).document.modules.length, 1);
      await store.close();
    });

    it('compare-and-set: of two writers based on the same revision, one gets a conflict', async () => {
      const [a, b] = await harness.openPair();
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
      assert.equal((await b.history()).length, 1, 'the loser wrote nothing');
      await a.close();
      await b.close();
    });

    it('a commit without expectedRevision always goes on top', async () => {
      const store = await harness.open();
      await store.commit({ document: docWith(1), author: 'a', summary: 's' });
      const r = await store.commit({ document: docWith(2), author: 'a', summary: 's' });
      assert.equal(r.revision, 2);
      await assert.rejects(store.commit({ document: docWith(3), author: 'a', summary: 's', expectedRevision: 1 }), RevisionConflictError);
      assert.equal((await store.current()).revision, 2);
      await store.close();
    });

    it('caps history: oldest revisions pruned, the current kept', async () => {
      const store = await harness.open({ historyCap: 3 });
      for (let i = 1; i <= 5; i++) await store.commit({ document: docWith(i), author: 'a', summary: `s${i}` });
      assert.deepEqual((await store.history()).map((h) => h.revision), [5, 4, 3]);
      assert.equal(await store.get(2), undefined);
      assert.equal((await store.current()).revision, 5);
      const one = await harness.open({ historyCap: 1 });
      for (let i = 1; i <= 3; i++) await one.commit({ document: docWith(i), author: 'a', summary: 's' });
      assert.deepEqual((await one.history()).map((h) => h.revision), [3]);
      assert.deepEqual((await one.current()).document, docWith(3));
      await store.close();
      await one.close();
    });

    it('notifies its own watchers by the time a commit resolves; unwatch stops it', async () => {
      const store = await harness.open();
      const seen: number[] = [];
      const unwatch = store.watch((r) => seen.push(r));
      await store.commit({ document: docWith(1), author: 'a', summary: 's' });
      assert.deepEqual(seen, [1]);
      unwatch();
      await store.commit({ document: docWith(2), author: 'a', summary: 's' });
      assert.deepEqual(seen, [1]);
      await store.close();
    });

    it('notices a commit by another handle on the same store (another process)', async () => {
      const [writer, reader] = await harness.openPair();
      const seen = new Promise<number>((resolve) => {
        const unwatch = reader.watch((r) => {
          unwatch();
          resolve(r);
        });
      });
      // Store timers are unref'd (they must not keep a node alive): hold the loop open here.
      const keepAlive = setInterval(() => undefined, 1000);
      await writer.commit({ document: docWith(7), author: 'cli', summary: 'offline edit' });
      assert.equal(await seen, 1);
      clearInterval(keepAlive);
      assert.deepEqual((await reader.current()).document, docWith(7));
      await writer.close();
      await reader.close();
    });

    it('rejects use after close; closing twice is fine', async () => {
      const store = await harness.open();
      await store.close();
      await store.close();
      await assert.rejects(store.current(), /closed/);
      await assert.rejects(store.commit({ document: docWith(1), author: 'a', summary: 's' }), /closed/);
    });
  });
}
