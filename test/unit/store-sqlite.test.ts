import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { openMemoryStore, openSqliteStore } from '../../src/store/sqlite-store.js';
import { docWith } from '../contract/config-store-contract.js';


let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modmq-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Behaviour every config store shares is in test/contract/config-store-contract.ts (run against
// SQLite and Redis by test/integration/store-redis-contract.test.ts); these are SQLite's own.
describe('sqlite config store', () => {
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
});
