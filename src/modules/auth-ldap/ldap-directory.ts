/**
 * The LDAP connections of one auth-ldap instance (ldapts): a small round-robin pool bound as
 * bind_dn for searches, and a fresh connection per bind-as-user check (a bind changes who the
 * connection is, so it is never pooled). Servers are tried in order; a server that fails at the
 * connection level sends the next call to the next server.
 */
import type { ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError, NoSuchObjectError, ResultCodeError, SizeLimitExceededError } from 'ldapts';

export interface LdapDirectoryConfig {
  servers: string[];
  port: number;
  pool_size: number;
  bind_dn: string;
  bind_password: string;
}

export interface LdapEntry {
  dn: string;
  /** Attribute name (lower-cased) -> values. */
  attributes: Map<string, string[]>;
}

export interface SearchAnswer {
  entries: LdapEntry[];
  more: boolean;
}

/** What the auth logic needs from the directory. */
export interface LdapDirectory {
  /**
   * Entries under `base` (subtree) matching `filter`; none when the base is missing. `more`: there
   * were more than `limit` (the entries are then not returned).
   */
  search(base: string, filter: string, attributes: string[], limit: number): Promise<SearchAnswer>;
  /** true: the password binds as `dn`; false: invalid credentials. Throws when the server fails. */
  bindAs(dn: string, password: string): Promise<boolean>;
}

const MAX_POOL = 4;

export class LdapsDirectory implements LdapDirectory {
  /** Per slot: the client and its bind (shared by concurrent users: never unbind mid-bind). */
  private readonly slots: Array<{ client: Client; bound: Promise<void> } | undefined>;
  private next = 0;
  private server = 0;
  private closed = false;
  /** Operations in flight: an unbind racing a bind leaves ldapts' bind pending forever. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly config: LdapDirectoryConfig,
    private readonly timeoutMs: number,
    private readonly tls: ConnectionOptions | undefined,
  ) {
    this.slots = new Array(Math.max(1, Math.min(config.pool_size, MAX_POOL))).fill(undefined);
  }

  async search(base: string, filter: string, attributes: string[], limit: number): Promise<SearchAnswer> {
    return this.withServers(async () => {
      const slot = this.next;
      this.next = (this.next + 1) % this.slots.length;
      const client = await this.boundClient(slot);
      try {
        const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes, sizeLimit: limit });
        return { entries: searchEntries.map((e) => toEntry(e.dn, e)), more: false };
      } catch (error) {
        if (error instanceof NoSuchObjectError) return { entries: [], more: false };
        if (error instanceof SizeLimitExceededError) return { entries: [], more: true };
        if (!(error instanceof ResultCodeError)) this.drop(slot);
        throw error;
      }
    });
  }

  async bindAs(dn: string, password: string): Promise<boolean> {
    return this.withServers(async () => {
      const client = this.newClient();
      try {
        await client.bind(dn, password);
        return true;
      } catch (error) {
        if (error instanceof InvalidCredentialsError) return false;
        throw error;
      } finally {
        await client.unbind().catch(() => undefined);
      }
    });
  }

  /** Binds one pooled connection (health probe at start and after a connection change). */
  async probe(): Promise<void> {
    await this.withServers(() => this.boundClient(0));
  }

  /** Waits for the operations in flight (each bounded by the timeout), then unbinds everything. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    const slots = this.slots.splice(0, this.slots.length, ...new Array(this.slots.length).fill(undefined));
    await Promise.all(slots.map((s) => s?.bound.catch(() => undefined).then(() => s.client.unbind()).catch(() => undefined)));
  }

  private url(): string {
    const host = this.config.servers[this.server % this.config.servers.length]!;
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `${this.tls ? 'ldaps' : 'ldap'}://${h}:${this.config.port}`;
  }

  private newClient(autoRebind = false): Client {
    return new Client({
      url: this.url(),
      autoRebind,
      timeout: this.timeoutMs,
      connectTimeout: this.timeoutMs,
      ...(this.tls ? { tlsOptions: this.tls } : {}),
    });
  }

  private async boundClient(slot: number): Promise<Client> {
    if (this.closed) throw new Error('ldap directory closed');
    let entry = this.slots[slot];
    if (!entry) {
      // autoRebind: when the server closed the connection, ldapts reconnects AND binds again.
      const client = this.newClient(true);
      entry = { client, bound: client.bind(this.config.bind_dn, this.config.bind_password) };
      this.slots[slot] = entry;
    }
    try {
      await entry.bound;
    } catch (error) {
      if (this.slots[slot] === entry) this.drop(slot);
      throw error;
    }
    return entry.client;
  }

  private drop(slot: number): void {
    const entry = this.slots[slot];
    this.slots[slot] = undefined;
    // Unbind only after its bind settled (an unbind racing a bind leaves the bind pending forever).
    void entry?.bound.then(
      () => entry.client.unbind(),
      () => entry.client.unbind(),
    ).catch(() => undefined);
  }

  /**
   * Runs `call`; on a connection-level failure (not an LDAP result) moves to the next server and
   * tries it, once per server. The guard's timeout bounds the whole.
   */
  private withServers<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('ldap directory closed'));
    const op = this.tryServers(call);
    this.pending.add(op);
    const forget = (): void => void this.pending.delete(op);
    op.then(forget, forget);
    return op;
  }

  private async tryServers<T>(call: () => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let attempt = 0; attempt < this.config.servers.length; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (error instanceof ResultCodeError || this.closed) throw error;
        lastError = error;
        this.server = (this.server + 1) % this.config.servers.length;
        for (let i = 0; i < this.slots.length; i++) this.drop(i);
      }
    }
    throw lastError;
  }
}

function toEntry(dn: string, raw: Record<string, unknown>): LdapEntry {
  const attributes = new Map<string, string[]>();
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'dn') continue;
    const values = (Array.isArray(value) ? value : [value]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
    if (values.length > 0) attributes.set(key.toLowerCase(), values);
  }
  return { dn, attributes };
}
