/**
 * An in-memory FAKE of the MongoDB collections auth-mongodb reads (no MongoDB server can run on
 * the test machines). It implements the {@link MongoStore} port with the only query forms the
 * module sends: equality on top-level fields, and `{$or: [...]}` of those.
 */
import type { AuthMongodbConfig } from '../../src/modules/auth-mongodb/index.js';
import type { MongoDocument, MongoStore, UserCollection } from '../../src/modules/auth-mongodb/user-collection.js';

export class FakeMongoStore implements MongoStore {
  readonly collections = new Map<string, MongoDocument[]>();
  readonly queries: Array<{ collection: string; selector: Record<string, unknown> }> = [];
  failWith: Error | undefined;
  closed = false;

  insert(collection: string, doc: MongoDocument): void {
    const docs = this.collections.get(collection) ?? [];
    docs.push(structuredClone(doc));
    this.collections.set(collection, docs);
  }

  collection(name: string): UserCollection {
    const run = (selector: Record<string, unknown>): MongoDocument[] => {
      if (this.closed) throw new Error('store closed');
      this.queries.push({ collection: name, selector: structuredClone(selector) });
      if (this.failWith) throw this.failWith;
      return (this.collections.get(name) ?? []).filter((d) => matches(d, selector)).map((d) => structuredClone(d));
    };
    return {
      findOne: async (selector) => run(selector)[0] ?? null,
      find: async (selector, limit) => run(selector).slice(0, limit),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function matches(doc: MongoDocument, selector: Record<string, unknown>): boolean {
  for (const [key, expected] of Object.entries(selector)) {
    if (key === '$or') {
      if (!(expected as Array<Record<string, unknown>>).some((s) => matches(doc, s))) return false;
    } else if (key.startsWith('$')) {
      throw new Error(`fake MongoDB: operator ${key} not supported`);
    } else if (!Object.prototype.hasOwnProperty.call(doc, key) || doc[key] !== expected) {
      return false;
    }
  }
  return true;
}

/** A full auth-mongodb config with the schema defaults, overridable. */
export function mongodbConfig(over: Partial<AuthMongodbConfig> = {}): AuthMongodbConfig {
  return {
    mongo_type: 'single',
    servers: ['127.0.0.1:27017'],
    srv_record: false,
    rs_set_name: '',
    database: 'mqtt',
    username: '',
    password: '',
    auth_source: '',
    pool_size: 8,
    w_mode: 'undef',
    r_mode: 'undef',
    topology: {},
    query_timeout: '5s',
    ssl: {},
    auth_query: { collection: 'mqtt_user', password_field: ['password'], password_hash: { name: 'sha256' }, selector: 'username=%u' },
    super_query: { enable: false, collection: 'mqtt_user', super_field: 'is_superuser', selector: 'username=%u' },
    acl_query: { enable: false, collection: 'mqtt_acl', selector: 'username=%u', selectors: [] },
    on_backend_error: 'ignore',
    ...over,
  };
}
