import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openNodeDatabase } from '../../src/store/kv-store.js';
import { emptyDocument } from '../../src/store/cluster-document.js';

describe('node database and kv store', () => {
  it('opens <dataDir>/modmq.db once, shared by the config store and the kv table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modmq-kv-'));
    const dataDir = join(dir, 'nested', 'data');
    const node = openNodeDatabase(dataDir);
    try {
      assert.ok(existsSync(join(dataDir, 'modmq.db')));
      await node.store.commit({ document: emptyDocument(), author: 'a', summary: 's' });
      node.kv.set('cred:alice', { hash: 'x' });
      assert.equal((await node.store.current()).revision, 1);
      assert.deepEqual(node.kv.get('cred:alice'), { hash: 'x' });
    } finally {
      await node.close();
    }
    const again = openNodeDatabase(dataDir);
    assert.deepEqual(again.kv.get('cred:alice'), { hash: 'x' });
    assert.equal((await again.store.current()).revision, 1);
    await again.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('get/set/delete/list by prefix, with LIKE metacharacters taken literally', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modmq-kv-'));
    const { kv, close } = openNodeDatabase(dir);
    try {
      assert.equal(kv.get('missing'), undefined);
      kv.set('a:1', 1);
      kv.set('a:2', { two: [2] });
      kv.set('a%3', 'pct');
      kv.set('a_4', null);
      kv.set('b:1', true);
      kv.set('a:1', 11); // overwrite
      assert.deepEqual(kv.list('a:'), [
        { key: 'a:1', value: 11 },
        { key: 'a:2', value: { two: [2] } },
      ]);
      assert.deepEqual(kv.list('a%').map((e) => e.key), ['a%3']);
      assert.deepEqual(kv.list('a_').map((e) => e.key), ['a_4']);
      assert.equal(kv.get('a_4'), null);
      assert.equal(kv.list().length, 5);
      assert.equal(kv.delete('a:1'), true);
      assert.equal(kv.delete('a:1'), false);
      assert.equal(kv.deletePrefix('a'), 3);
      assert.deepEqual(kv.list().map((e) => e.key), ['b:1']);
      assert.throws(() => kv.set('u', undefined));
    } finally {
      await close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
