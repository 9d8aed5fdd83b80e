import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { join } from 'node:path';
import type { RetainedMessage } from '../../broker/hooks.js';
import { RamBackend } from './ram-backend.js';

export const RETAINER_DB_FILE = 'retained.db';

/** A row of the `retained` table (read as is by `modmq cluster import-from-sqlite`, too). */
export interface RetainedRow {
  topic: string;
  payload: Buffer;
  qos: number;
  properties: string | null;
  stored_at: number;
  expires_at: number | null;
}

/**
 * SQLite in the module's data dir; the whole content is also held in memory (like EMQX's
 * disc_copies) so lookups never touch the disk. Changes are written behind, once per event-loop
 * turn in one transaction (a burst of retained publishes costs one commit, not one each); `close`
 * flushes what is pending, so a normal stop loses nothing.
 */
export class DiscBackend extends RamBackend {
  override readonly kind = 'disc' as const;
  private readonly db: Db;
  private readonly upsert: Statement;
  private readonly del: Statement;
  /** topic -> message to write, or null to delete; flushed on the next turn. */
  private readonly pending = new Map<string, RetainedMessage | null>();
  private flushTimer: NodeJS.Immediate | undefined;

  /** `onError` reports a failed write-behind flush (memory stays authoritative). */
  constructor(
    dir: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    super();
    this.db = new Database(join(dir, RETAINER_DB_FILE));
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(`CREATE TABLE IF NOT EXISTS retained (
        topic TEXT PRIMARY KEY, payload BLOB NOT NULL, qos INTEGER NOT NULL,
        properties TEXT, stored_at INTEGER NOT NULL, expires_at INTEGER)`);
      this.upsert = this.db.prepare(
        'INSERT OR REPLACE INTO retained (topic, payload, qos, properties, stored_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      );
      this.del = this.db.prepare('DELETE FROM retained WHERE topic = ?');
      for (const row of this.db.prepare('SELECT * FROM retained').iterate() as IterableIterator<RetainedRow>) {
        super.put(fromRow(row));
      }
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  override put(message: RetainedMessage): void {
    super.put(message);
    this.pending.set(message.topic, message);
    this.schedule();
  }

  override delete(topic: string): boolean {
    if (!super.delete(topic)) return false;
    this.pending.set(topic, null);
    this.schedule();
    return true;
  }

  override replaceAll(messages: Iterable<RetainedMessage>): void {
    const list = [...messages];
    this.pending.clear();
    this.db.transaction(() => {
      this.db.exec('DELETE FROM retained');
      for (const m of list) this.write(m);
    })();
    for (const topic of [...this.byTopic.keys()]) super.delete(topic);
    for (const m of list) super.put(m);
  }

  /** Writes every pending change now (one transaction). */
  flush(): void {
    if (this.flushTimer !== undefined) {
      clearImmediate(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.pending.size === 0 || !this.db.open) return;
    const changes = [...this.pending];
    this.pending.clear();
    this.db.transaction(() => {
      for (const [topic, message] of changes) {
        if (message === null) this.del.run(topic);
        else this.write(message);
      }
    })();
  }

  override close(): void {
    try {
      this.flush();
    } finally {
      super.close();
      if (this.db.open) this.db.close();
    }
  }

  private schedule(): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setImmediate(() => {
      this.flushTimer = undefined;
      try {
        this.flush();
      } catch (error) {
        this.onError(error);
      }
    });
  }

  private write(message: RetainedMessage): void {
    this.upsert.run(
      message.topic,
      message.payload,
      message.qos,
      message.properties === undefined ? null : JSON.stringify(message.properties),
      message.storedAt,
      message.expiresAt ?? null,
    );
  }
}

export function fromRow(row: RetainedRow): RetainedMessage {
  const m: RetainedMessage = { topic: row.topic, payload: row.payload, qos: row.qos as 0 | 1 | 2, storedAt: row.stored_at };
  if (row.properties !== null) m.properties = JSON.parse(row.properties, reviveBuffers) as Record<string, unknown>;
  if (row.expires_at !== null) m.expiresAt = row.expires_at;
  return m;
}

// JSON.stringify turns a Buffer (correlationData) into {type:'Buffer',data:[...]}; turn it back.
function reviveBuffers(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object') {
    const v = value as { type?: unknown; data?: unknown };
    if (v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data as number[]);
  }
  return value;
}
