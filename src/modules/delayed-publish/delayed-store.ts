import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import type { DelayedQueue } from './delayed-queue.js';
import { decodeProperties, encodeProperties } from './properties-codec.js';

/** A held message as stored. `publishAt` and `createdAt` are epoch ms. */
export interface DelayedMessage {
  id: number;
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  properties: Record<string, unknown> | undefined;
  fromClientId: string | null;
  fromUsername: string | null;
  publishAt: number;
  createdAt: number;
}

export type NewDelayedMessage = Omit<DelayedMessage, 'id'>;

/** A row of the `delayed` table (read as is by `modmq cluster import-from-sqlite`, too). */
export interface DelayedRow {
  id: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  properties: string | null;
  from_clientid: string | null;
  from_username: string | null;
  publish_at: number;
  created_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS delayed (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL,
  retain INTEGER NOT NULL,
  properties TEXT,
  from_clientid TEXT,
  from_username TEXT,
  publish_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS delayed_due ON delayed (publish_at, id);
CREATE INDEX IF NOT EXISTS delayed_topic ON delayed (topic);
`;

/**
 * Held messages in a SQLite file of the module's own (WAL, synchronous=NORMAL: a crashed process
 * loses nothing committed). All calls are synchronous; a count is kept in memory so the limit
 * check on the publish path does no query.
 */
export class DelayedStore implements DelayedQueue {
  private readonly stmts: {
    insert: Statement;
    due: Statement;
    next: Statement;
    get: Statement;
    delete: Statement;
    deleteTopic: Statement;
    list: Statement;
    listTopic: Statement;
    countTopic: Statement;
  };
  private size: number;

  private constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO delayed (topic, payload, qos, retain, properties, from_clientid, from_username, publish_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      due: db.prepare('SELECT * FROM delayed WHERE publish_at <= ? ORDER BY publish_at, id LIMIT ?'),
      next: db.prepare('SELECT MIN(publish_at) AS at FROM delayed'),
      get: db.prepare('SELECT * FROM delayed WHERE id = ?'),
      delete: db.prepare('DELETE FROM delayed WHERE id = ?'),
      deleteTopic: db.prepare('DELETE FROM delayed WHERE topic = ?'),
      list: db.prepare('SELECT * FROM delayed ORDER BY publish_at, id LIMIT ? OFFSET ?'),
      listTopic: db.prepare('SELECT * FROM delayed WHERE topic = ? ORDER BY publish_at, id LIMIT ? OFFSET ?'),
      countTopic: db.prepare('SELECT COUNT(*) AS n FROM delayed WHERE topic = ?'),
    };
    this.size = (db.prepare('SELECT COUNT(*) AS n FROM delayed').get() as { n: number }).n;
  }

  /** Opens (creating) the store file; `:memory:` for tests. */
  static open(file: string): DelayedStore {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    try {
      if (file !== ':memory:') db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      return new DelayedStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  count(): number {
    return this.size;
  }

  /** `_max` is checked by the caller against `count()` (one node: exact). */
  insert(m: NewDelayedMessage, _max = 0): number {
    const result = this.stmts.insert.run(
      m.topic,
      m.payload,
      m.qos,
      m.retain ? 1 : 0,
      encodeProperties(m.properties),
      m.fromClientId,
      m.fromUsername,
      m.publishAt,
      m.createdAt,
    );
    this.size++;
    return Number(result.lastInsertRowid);
  }

  /** The earliest messages due at `nowMs`, oldest first. */
  due(nowMs: number, limit: number): DelayedMessage[] {
    return (this.stmts.due.all(nowMs, limit) as DelayedRow[]).map(toMessage);
  }

  /** When the earliest held message is due (epoch ms), or undefined when none is held. */
  nextDueAt(): number | undefined {
    const row = this.stmts.next.get() as { at: number | null };
    return row.at ?? undefined;
  }

  get(id: number): DelayedMessage | undefined {
    const row = this.stmts.get.get(id) as DelayedRow | undefined;
    return row ? toMessage(row) : undefined;
  }

  delete(id: number): boolean {
    const changes = this.stmts.delete.run(id).changes;
    this.size -= changes;
    return changes > 0;
  }

  deleteTopic(topic: string): number {
    const changes = this.stmts.deleteTopic.run(topic).changes;
    this.size -= changes;
    return changes;
  }

  /** A page in due order, optionally only one target topic; `total` counts the whole selection. */
  list(offset: number, limit: number, topic?: string): { total: number; items: DelayedMessage[] } {
    if (topic === undefined) {
      return { total: this.size, items: (this.stmts.list.all(limit, offset) as DelayedRow[]).map(toMessage) };
    }
    const total = (this.stmts.countTopic.get(topic) as { n: number }).n;
    return { total, items: (this.stmts.listTopic.all(topic, limit, offset) as DelayedRow[]).map(toMessage) };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export function toMessage(row: DelayedRow): DelayedMessage {
  return {
    id: row.id,
    topic: row.topic,
    payload: row.payload,
    qos: (row.qos === 1 || row.qos === 2 ? row.qos : 0) as 0 | 1 | 2,
    retain: row.retain === 1,
    properties: decodeProperties(row.properties),
    fromClientId: row.from_clientid,
    fromUsername: row.from_username,
    publishAt: row.publish_at,
    createdAt: row.created_at,
  };
}
