import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { pino } from 'pino';
import { Registry, Gauge } from 'prom-client';
import { buildApi, type ApiDeps } from '../../src/api/app.js';
import { CredentialStore } from '../../src/api/credential-store.js';
import type { BrokerApi } from '../../src/broker/broker-api.js';
import type { ClientInfo } from '../../src/broker/hooks.js';
import type { NodeModuleStatus } from '../../src/modules/runtime/module-status.js';
import type { ModuleTypeInfo, SchemaCatalog, ValidationResult } from '../../src/schema/catalog.js';
import { childPointer, type Problem } from '../../src/schema/problem.js';
import { FakeModuleService } from './fake-module-service.js';

const BASE = 'https://modmq.dev/schemas/';

/** Shared defs the stub schemas $ref (served to the OpenAPI generator through resolveSchema). */
export const STUB_DEFS: Record<string, object> = {
  [`${BASE}defs/secret.json`]: { $id: `${BASE}defs/secret.json`, type: 'string', 'x-secret': true, description: 'A secret' },
  [`${BASE}defs/duration.json`]: { $id: `${BASE}defs/duration.json`, type: 'string', pattern: '^[0-9]+(ms|s|m|h|d)$' },
};

const moduleSchemas: Record<string, Record<number, object>> = {
  presence: {
    1: {
      $id: `${BASE}modules/presence/v1.json`,
      title: 'Presence',
      description: 'Client presence events',
      'x-family': 'extension',
      type: 'object',
      additionalProperties: false,
      properties: { qos: { type: 'integer', enum: [0, 1, 2], default: 0 } },
    },
  },
  'auth-http': {
    1: {
      $id: `${BASE}modules/auth-http/v1.json`,
      title: 'HTTP auth',
      description: 'Authenticate over HTTP',
      'x-family': 'auth',
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', minLength: 1 },
        password: { $ref: '../../defs/secret.json' },
        timeout: { $ref: '../../defs/duration.json', default: '5s' },
      },
    },
  },
  bridge: {
    1: {
      $id: `${BASE}modules/bridge/v1.json`,
      title: 'Bridge',
      description: 'Bridges to remote brokers',
      'x-family': 'downlink',
      'x-singleton': false,
      type: 'object',
      additionalProperties: false,
      properties: {
        servers: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            required: ['host'],
            properties: { host: { type: 'string' }, password: { type: 'string', 'x-secret': true } },
          },
        },
      },
    },
    2: {
      $id: `${BASE}modules/bridge/v2.json`,
      title: 'Bridge',
      description: 'Bridges to remote brokers',
      'x-family': 'downlink',
      'x-singleton': false,
      type: 'object',
      additionalProperties: false,
      properties: {
        servers: {
          type: 'array',
          default: [],
          items: {
            type: 'object',
            required: ['host'],
            properties: { host: { type: 'string' }, password: { type: 'string', 'x-secret': true }, tls: { type: 'boolean' } },
          },
        },
      },
    },
  },
};

const SECRET_POINTERS: Record<string, string[]> = { presence: [], 'auth-http': ['/password'], bridge: ['/servers/*/password'] };

const clusterSchema = {
  $id: `${BASE}cluster/v1.json`,
  type: 'object',
  required: ['version', 'settings', 'modules'],
  properties: {
    version: { const: 1 },
    settings: {
      type: 'object',
      properties: { acl_cache: { type: 'object', properties: { ttl: { $ref: '../defs/duration.json' } } } },
    },
    modules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'type', 'schemaVersion', 'config'],
        properties: {
          id: { type: 'string' },
          type: { type: 'string' },
          schemaVersion: { type: 'integer' },
          enabled: { type: 'boolean', default: true },
          config: { type: 'object' },
          description: { type: 'string' },
        },
      },
    },
  },
};

/** A SchemaCatalog over three small module types: presence, auth-http (x-secret via a def), bridge (v1, v2; secrets in an array). */
export function createStubCatalog(): SchemaCatalog {
  const ajv = new Ajv2020({ strict: false, allErrors: true, useDefaults: true });
  for (const def of Object.values(STUB_DEFS)) ajv.addSchema(def);
  const toResult = (ok: boolean, value: unknown, errors: typeof ajv.errors): ValidationResult =>
    ok
      ? { ok: true, value }
      : {
          ok: false,
          problems: (errors ?? []).map(
            (e): Problem => ({
              pointer:
                e.keyword === 'required' ? childPointer(e.instancePath, String(e.params['missingProperty'])) : e.instancePath,
              keyword: e.keyword,
              message: e.message ?? 'invalid',
            }),
          ),
        };
  const info = (type: string): ModuleTypeInfo | undefined => {
    const versions = moduleSchemas[type];
    if (!versions) return undefined;
    const numbers = Object.keys(versions).map(Number).sort((a, b) => a - b);
    const latest = numbers[numbers.length - 1] as number;
    const schema = versions[latest] as Record<string, unknown>;
    return {
      type,
      family: schema['x-family'] as ModuleTypeInfo['family'],
      title: String(schema['title']),
      description: String(schema['description']),
      versions: numbers,
      latest,
      singleton: schema['x-singleton'] !== false,
    };
  };
  return {
    moduleTypes: () => Object.keys(moduleSchemas).map((t) => info(t) as ModuleTypeInfo),
    moduleType: info,
    moduleSchema: (type, version) => {
      const v = version ?? info(type)?.latest;
      return v === undefined ? undefined : moduleSchemas[type]?.[v];
    },
    clusterSchema: () => clusterSchema,
    nodeSchema: () => ({ type: 'object' }),
    validateModuleConfig(type, version, config) {
      const schema = moduleSchemas[type]?.[version];
      if (!schema) return { ok: false, problems: [{ pointer: '', keyword: 'unknown-type', message: `unknown ${type} v${version}` }] };
      const copy = structuredClone(config);
      const validate = ajv.compile(schema);
      return toResult(validate(copy), copy, validate.errors);
    },
    validateCluster(document) {
      const copy = structuredClone(document);
      const validate = ajv.compile(clusterSchema);
      return toResult(validate(copy), copy, validate.errors);
    },
    validateNode: (config) => ({ ok: true, value: config }),
    secretPointers: (type) => SECRET_POINTERS[type] ?? [],
  };
}

export function fakeClient(clientId: string, extra: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId,
    username: undefined,
    peerHost: '127.0.0.1',
    peerPort: 50000,
    sockPort: 1883,
    listener: 'tcp',
    protoName: 'MQTT',
    protoVer: 5,
    keepalive: 60,
    cleanStart: true,
    expiryInterval: 0,
    connectedAt: 1_700_000_000_000,
    superuser: false,
    ...extra,
  };
}

export function createClientsBroker(clients: ClientInfo[]): BrokerApi {
  return {
    nodeName: 'test@node',
    publish: async () => {},
    subscribeClient: async (_id, subs) => subs.map((s) => s.qos),
    clients: () => clients,
    client: (id) => clients.find((c) => c.clientId === id),
    flushAclCache: () => {},
  };
}

export const ADMIN_PASSWORD = 'admin-Pass-123';

export interface TestApi {
  app: FastifyInstance;
  service: FakeModuleService;
  credentials: CredentialStore;
  db: Database.Database;
  metrics: Registry;
  clients: ClientInfo[];
  nodeStatus: NodeModuleStatus;
  /** Every log line the API wrote, as text. */
  logs: string[];
  /** inject with admin credentials unless `auth` is given (null = none). */
  call(options: InjectOptions & { auth?: string | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export function basic(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

export async function createTestApi(overrides: Partial<ApiDeps> = {}): Promise<TestApi> {
  const catalog = createStubCatalog();
  const service = new FakeModuleService(catalog);
  const db = new Database(':memory:');
  const credentials = new CredentialStore(db, { scryptCost: 2 ** 10 });
  credentials.ensureAdmin(ADMIN_PASSWORD);
  const metrics = new Registry();
  new Gauge({ name: 'modmq_test_connections', help: 'test gauge', registers: [metrics] }).set(3);
  const clients = [fakeClient('c2'), fakeClient('c1', { username: 'u1' }), fakeClient('c3')];
  const nodeStatus: NodeModuleStatus = { node: 'test@node', appliedRevision: 0, modules: [] };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await buildApi({
    service,
    status: () => nodeStatus,
    catalog,
    broker: createClientsBroker(clients),
    metrics,
    credentials,
    log: pino({ level: 'info' }, sink),
    nodeName: 'test@node',
    store: { get: (rev) => service.revision(rev) },
    resolveSchema: (id) => STUB_DEFS[id],
    ...overrides,
  });
  return {
    app,
    service,
    credentials,
    db,
    metrics,
    clients,
    nodeStatus,
    logs,
    call({ auth, ...options }) {
      const headers = { ...(options.headers ?? {}) } as Record<string, string>;
      const authorization = auth === undefined ? basic('admin', ADMIN_PASSWORD) : auth;
      if (authorization !== null) headers['authorization'] = authorization;
      return app.inject({ ...options, headers });
    },
    async close() {
      await app.close();
      db.close();
    },
  };
}
