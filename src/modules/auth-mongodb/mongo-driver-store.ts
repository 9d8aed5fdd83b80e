/**
 * The real {@link MongoStore}: the official `mongodb` driver. The client connects on the first
 * query (nothing is opened by construction), every query carries maxTimeMS and the server
 * selection timeout is bounded by the query timeout, so a dead server fails a query instead of
 * hanging it. Covered by typecheck only: no MongoDB server can run on the test machines.
 */
import { MongoClient, ReadPreference, type MongoClientOptions } from 'mongodb';
import { backendTlsOptions, type BackendSslConfig } from '../auth-redis/tls-options.js';
import type { MongoDocument, MongoStore, UserCollection } from './user-collection.js';

export interface MongoTopologyConfig {
  pool_size?: number;
  max_overflow?: number;
  overflow_ttl?: number;
  overflow_check_period?: number;
  local_threshold_ms?: number;
  connect_timeout_ms?: number;
  socket_timeout_ms?: number;
  server_selection_timeout_ms?: number;
  wait_queue_timeout_ms?: number;
  heartbeat_frequency_ms?: number;
  min_heartbeat_frequency_ms?: number;
}

export interface MongoConnectionConfig {
  mongo_type: 'single' | 'unknown' | 'sharded' | 'rs';
  servers: string[];
  srv_record: boolean;
  rs_set_name: string;
  database: string;
  username: string;
  password: string;
  auth_source: string;
  pool_size: number;
  w_mode: 'undef' | 'safe' | 'unsafe';
  r_mode: 'undef' | 'master' | 'slave_ok';
  topology?: MongoTopologyConfig;
  ssl?: BackendSslConfig;
}

/** The connection string: mongodb://h1,h2/ or mongodb+srv://host/ (credentials go in options). */
export function mongoUri(config: MongoConnectionConfig): string {
  if (config.srv_record) return `mongodb+srv://${config.servers[0]!.replace(/:\d+$/, '')}/`;
  return `mongodb://${config.servers.join(',')}/`;
}

/** Driver options from the 4.x-shaped config. */
export function mongoClientOptions(config: MongoConnectionConfig, timeoutMs: number, baseDir: string): MongoClientOptions {
  const t = config.topology ?? {};
  const options: MongoClientOptions = {
    maxPoolSize: t.pool_size || config.pool_size,
    // Never wait longer than one query timeout for a server (4.x default was 30 s).
    serverSelectionTimeoutMS: Math.min(t.server_selection_timeout_ms || timeoutMs, timeoutMs),
    connectTimeoutMS: Math.min(t.connect_timeout_ms || timeoutMs, timeoutMs),
  };
  if (t.socket_timeout_ms) options.socketTimeoutMS = t.socket_timeout_ms;
  if (t.local_threshold_ms !== undefined) options.localThresholdMS = t.local_threshold_ms;
  if (t.wait_queue_timeout_ms) options.waitQueueTimeoutMS = t.wait_queue_timeout_ms;
  if (t.heartbeat_frequency_ms) options.heartbeatFrequencyMS = Math.max(500, t.heartbeat_frequency_ms);
  if (t.min_heartbeat_frequency_ms) options.minHeartbeatFrequencyMS = t.min_heartbeat_frequency_ms;
  if (config.mongo_type === 'single' && !config.srv_record) options.directConnection = true;
  if (config.mongo_type === 'rs' && config.rs_set_name) options.replicaSet = config.rs_set_name;
  if (config.username) {
    options.auth = { username: config.username, password: config.password };
    options.authSource = config.auth_source || config.database;
  }
  if (config.r_mode === 'master') options.readPreference = ReadPreference.PRIMARY;
  if (config.r_mode === 'slave_ok') options.readPreference = ReadPreference.SECONDARY_PREFERRED;
  if (config.w_mode === 'safe') options.writeConcern = { w: 1 };
  if (config.w_mode === 'unsafe') options.writeConcern = { w: 0 };
  const tls = backendTlsOptions(config.ssl, baseDir);
  if (tls) {
    options.tls = true;
    if (tls.ca) options.ca = tls.ca as Buffer;
    if (tls.cert) options.cert = tls.cert as Buffer;
    if (tls.key) options.key = tls.key as Buffer;
    if (!config.ssl?.verify) {
      options.tlsAllowInvalidCertificates = true;
      options.tlsAllowInvalidHostnames = true;
    }
    if (tls.servername) options.servername = tls.servername;
    if (tls.checkServerIdentity) options.tlsAllowInvalidHostnames = true;
  }
  return options;
}

export class MongoDriverStore implements MongoStore {
  private readonly client: MongoClient;

  constructor(
    private readonly config: MongoConnectionConfig,
    private readonly timeoutMs: number,
    baseDir: string,
  ) {
    this.client = new MongoClient(mongoUri(config), mongoClientOptions(config, timeoutMs, baseDir));
  }

  collection(name: string): UserCollection {
    const coll = this.client.db(this.config.database).collection<MongoDocument>(name);
    const maxTimeMS = this.timeoutMs;
    return {
      findOne: async (selector) => (await coll.findOne(selector, { maxTimeMS, projection: { _id: 0 } })) as MongoDocument | null,
      find: async (selector, limit) => (await coll.find(selector, { maxTimeMS, limit, projection: { _id: 0 } }).toArray()) as MongoDocument[],
    };
  }

  async close(): Promise<void> {
    await this.client.close(true);
  }
}
