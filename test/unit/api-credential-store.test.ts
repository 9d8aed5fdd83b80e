import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CredentialStore } from '../../src/api/credential-store.js';

const open = (): { db: Database.Database; store: CredentialStore } => {
  const db = new Database(':memory:');
  return { db, store: new CredentialStore(db, { scryptCost: 2 ** 10 }) };
};

test('first start without a seed generates a 24-char admin password that works, storing only its hash', () => {
  const { db, store } = open();
  const { generatedPassword } = store.ensureAdmin();
  assert.ok(generatedPassword);
  assert.equal(generatedPassword.length, 24);
  assert.deepEqual(store.verify('admin', generatedPassword), { name: 'admin', role: 'admin', kind: 'password' });
  assert.equal(store.verify('admin', `${generatedPassword}x`), null);
  const rows = db.prepare('SELECT * FROM api_credentials').all() as Array<Record<string, unknown>>;
  assert.equal(rows.length, 1);
  const text = JSON.stringify(rows);
  assert.ok(!text.includes(generatedPassword), 'the password itself is never stored');
  assert.match(String(rows[0]?.['hash']), /^scrypt\$\d+\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  // A second start neither regenerates nor changes it.
  assert.deepEqual(store.ensureAdmin(), {});
  assert.ok(store.verify('admin', generatedPassword));
  db.close();
});

test('a seed password replaces the admin password; the old one stops working at once (even if cached)', () => {
  const { db, store } = open();
  const { generatedPassword } = store.ensureAdmin();
  assert.ok(store.verify('admin', generatedPassword as string)); // now cached
  assert.deepEqual(store.ensureAdmin('seeded-secret'), {});
  assert.equal(store.verify('admin', generatedPassword as string), null);
  assert.ok(store.verify('admin', 'seeded-secret'));
  db.close();
});

test('two hashes of the same secret differ (per-entry salt)', () => {
  const { db, store } = open();
  store.ensureAdmin('same');
  const first = (db.prepare("SELECT hash FROM api_credentials WHERE id='admin'").get() as { hash: string }).hash;
  store.setAdminPassword('same');
  const second = (db.prepare("SELECT hash FROM api_credentials WHERE id='admin'").get() as { hash: string }).hash;
  assert.notEqual(first, second);
  assert.ok(store.verify('admin', 'same'));
  db.close();
});

test('API keys: created secret verifies with its role, listing never shows secrets, revoke works at once', () => {
  const { db, store } = open();
  const viewer = store.createKey('grafana', 'viewer');
  const admin = store.createKey('ci', 'admin');
  assert.match(viewer.id, /^mk_[0-9a-f]{16}$/);
  assert.deepEqual(store.verify(viewer.id, viewer.secret), { name: viewer.id, role: 'viewer', kind: 'key' });
  assert.deepEqual(store.verify(admin.id, admin.secret), { name: admin.id, role: 'admin', kind: 'key' });
  assert.equal(store.verify(viewer.id, admin.secret), null);
  assert.equal(store.verify('mk_unknown', viewer.secret), null);
  const listed = store.listKeys();
  assert.deepEqual(listed.map((k) => k.id).sort(), [viewer.id, admin.id].sort());
  assert.ok(!JSON.stringify(listed).includes(viewer.secret));
  assert.ok(!JSON.stringify(db.prepare('SELECT * FROM api_credentials').all()).includes(viewer.secret));
  assert.equal(store.revokeKey(viewer.id), true);
  assert.equal(store.revokeKey(viewer.id), false);
  assert.equal(store.verify(viewer.id, viewer.secret), null);
  assert.ok(store.verify(admin.id, admin.secret));
  db.close();
});

test('a key revoked through another handle on the same database stops working despite the cache', () => {
  const { db, store } = open();
  const key = store.createKey('k', 'admin');
  assert.ok(store.verify(key.id, key.secret));
  const other = new CredentialStore(db, { scryptCost: 2 ** 10 });
  assert.equal(other.revokeKey(key.id), true);
  assert.equal(store.verify(key.id, key.secret), null);
  db.close();
});
