/**
 * The narrow port auth-mongodb needs from MongoDB: equality lookups in named collections. The real
 * adapter is `mongo-driver-store.ts` (official driver); tests use an in-memory fake.
 */

export type MongoDocument = Record<string, unknown>;

export interface UserCollection {
  /** The first document matching `selector` (equality on every field), or null. */
  findOne(selector: Record<string, unknown>): Promise<MongoDocument | null>;
  /** Every document matching `selector` (which may be `{$or: [...]}`), at most `limit`. */
  find(selector: Record<string, unknown>, limit: number): Promise<MongoDocument[]>;
}

export interface MongoStore {
  collection(name: string): UserCollection;
  close(): Promise<void>;
}
