/**
 * The built-in auth DB (module auth-builtin-db): users, bulk import and ACL rules, served from the
 * service the running module exposes; 503 MODMQ_MODULE_NOT_RUNNING while it does not run on this
 * node. Passwords go in as plain text and never come out (not even hashed).
 */
import type { FastifyInstance } from 'fastify';
import { ModmqError } from '../../errors.js';
import type { BuiltinDbAdmin, ImportOptions } from '../../modules/auth-builtin-db/service.js';
import type { ApiDeps } from '../app.js';
import { API_PREFIX } from '../app.js';

const SERVICE = 'auth-builtin-db';
const TAGS = ['auth-builtin-db'];
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

const userView = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['username', 'clientid'] },
    id: { type: 'string' },
    username: { type: 'string' },
    clientid: { type: 'string' },
    is_superuser: { type: 'boolean' },
    hash_algorithm: { type: 'string', enum: ['plain', 'md5', 'sha', 'sha256', 'sha512'] },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const aclView = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['username', 'clientid', 'all'] },
    username: { type: 'string' },
    clientid: { type: 'string' },
    topic: { type: 'string' },
    action: { type: 'string', enum: ['pub', 'sub'] },
    permission: { type: 'string', enum: ['allow', 'deny'] },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const pageOf = (items: object) => ({
  type: 'object',
  properties: { total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' }, items: { type: 'array', items } },
});

const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

const kindIdParams = {
  type: 'object',
  required: ['kind', 'id'],
  properties: { kind: { type: 'string', enum: ['username', 'clientid'] }, id: { type: 'string', minLength: 1 } },
} as const;

const password = { type: 'string', minLength: 1, maxLength: 1024, description: 'Plain text; stored hashed.' } as const;

type Kind = 'username' | 'clientid';

export function registerBuiltinDbRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const base = `${API_PREFIX}/auth/builtin-db`;
  const admin = (): BuiltinDbAdmin => {
    const service = deps.services?.get<BuiltinDbAdmin>(SERVICE);
    if (!service) throw new ModmqError('MODMQ_MODULE_NOT_RUNNING', 'the auth-builtin-db module is not running on this node', 503);
    return service;
  };

  app.get(
    `${base}/users`,
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { kind: { type: 'string', enum: ['username', 'clientid'] }, like: { type: 'string', description: 'Substring of the id.' }, ...paging },
        },
      },
      config: { openapi: { summary: 'Built-in DB users (never their passwords)', tags: TAGS, responses: { 200: pageOf(userView) } } },
    },
    async (request) => {
      const q = request.query as { kind?: Kind; like?: string; limit: number; offset: number };
      return admin().listUsers(q);
    },
  );

  app.post(
    `${base}/users`,
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['password'],
          properties: {
            username: { type: 'string', minLength: 1 },
            clientid: { type: 'string', minLength: 1 },
            password,
            is_superuser: { type: 'boolean', default: false },
          },
          oneOf: [{ required: ['username'] }, { required: ['clientid'] }],
        },
      },
      config: { openapi: { summary: 'Add a user by username or by client id (409 if it exists)', tags: TAGS, responses: { 201: userView } } },
    },
    async (request, reply) => {
      const b = request.body as { username?: string; clientid?: string; password: string; is_superuser: boolean };
      const kind: Kind = b.username !== undefined ? 'username' : 'clientid';
      const view = await admin().addUser({ kind, id: (b.username ?? b.clientid)!, password: b.password, is_superuser: b.is_superuser });
      request.log.info({ kind, id: view.id }, 'built-in DB user added');
      return reply.status(201).send(view);
    },
  );

  app.get(
    `${base}/users/:kind/:id`,
    { schema: { params: kindIdParams }, config: { openapi: { summary: 'One user', tags: TAGS, responses: { 200: userView } } } },
    async (request) => {
      const { kind, id } = request.params as { kind: Kind; id: string };
      return admin().getUser(kind, id);
    },
  );

  app.put(
    `${base}/users/:kind/:id`,
    {
      schema: {
        params: kindIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { password, is_superuser: { type: 'boolean' } },
        },
      },
      config: { openapi: { summary: "Change a user's password and/or superuser flag", tags: TAGS, responses: { 200: userView } } },
    },
    async (request) => {
      const { kind, id } = request.params as { kind: Kind; id: string };
      const view = await admin().updateUser(kind, id, request.body as { password?: string; is_superuser?: boolean });
      request.log.info({ kind, id }, 'built-in DB user updated');
      return view;
    },
  );

  app.delete(
    `${base}/users/:kind/:id`,
    {
      schema: { params: kindIdParams },
      config: { openapi: { summary: 'Remove a user (its ACL rules stay)', tags: TAGS, responses: { 200: { type: 'object', properties: { kind: { type: 'string' }, id: { type: 'string' }, removed: { type: 'boolean' } } } } } },
    },
    async (request) => {
      const { kind, id } = request.params as { kind: Kind; id: string };
      await admin().removeUser(kind, id);
      request.log.info({ kind, id }, 'built-in DB user removed');
      return { kind, id, removed: true };
    },
  );

  app.post(
    `${base}/import`,
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        querystring: {
          type: 'object',
          properties: {
            overwrite: { type: 'boolean', default: false, description: 'Replace existing users (default: keep them).' },
            password_hash: {
              type: 'string',
              enum: ['plain', 'md5', 'sha', 'sha256', 'sha512'],
              description: 'Hash of imported 4.x secrets; default: guessed from their length, else the module password_hash.',
            },
            as: { type: 'string', enum: ['username', 'clientid'], description: 'Kind of 4.x users without a type (4.2 auth.mnesia.as).' },
          },
        },
        body: {
          description:
            'Ours ({users, clients, acl}, plain-text passwords), the migrator builtin-db-users.json, an EMQX 4.x export ' +
            '(auth_mnesia / acl_mnesia), or either array alone.',
          type: ['object', 'array'],
        },
      },
      config: {
        openapi: {
          summary: 'Bulk import users and ACL rules',
          tags: TAGS,
          responses: {
            200: {
              type: 'object',
              properties: {
                users: { type: 'object', properties: { inserted: { type: 'integer' }, replaced: { type: 'integer' }, skipped: { type: 'integer' }, failed: { type: 'integer' } } },
                acl: { type: 'object', properties: { inserted: { type: 'integer' }, failed: { type: 'integer' } } },
                problems: { type: 'array', items: { type: 'object' } },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const q = request.query as { overwrite: boolean; password_hash?: ImportOptions['password_hash']; as?: Kind };
      const options: ImportOptions = { overwrite: q.overwrite };
      if (q.password_hash) options.password_hash = q.password_hash;
      if (q.as) options.as = q.as;
      const report = await admin().importData(request.body, options);
      request.log.info({ users: report.users, acl: report.acl }, 'built-in DB import');
      return report;
    },
  );

  app.get(
    `${base}/acl`,
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            kind: { type: 'string', enum: ['username', 'clientid', 'all'] },
            id: { type: 'string', description: 'Username or client id (with kind).' },
            ...paging,
          },
        },
      },
      config: { openapi: { summary: 'ACL rules (each login newest first)', tags: TAGS, responses: { 200: pageOf(aclView) } } },
    },
    async (request) => {
      const q = request.query as { kind?: 'username' | 'clientid' | 'all'; id?: string; limit: number; offset: number };
      return admin().listAcl(q);
    },
  );

  app.post(
    `${base}/acl`,
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['topic', 'action', 'permission'],
          properties: {
            username: { type: 'string', minLength: 1, description: 'Absent with clientid: a rule for all clients.' },
            clientid: { type: 'string', minLength: 1 },
            topic: { type: 'string', minLength: 1, description: 'Topic filter; %u / %c as a whole level.' },
            action: { type: 'string', enum: ['pub', 'sub', 'pubsub'] },
            permission: { type: 'string', enum: ['allow', 'deny'] },
          },
        },
      },
      config: {
        openapi: {
          summary: 'Add an ACL rule (replaces the login rule with the same topic and action)',
          tags: TAGS,
          responses: { 201: { type: 'object', properties: { items: { type: 'array', items: aclView } } } },
        },
      },
    },
    async (request, reply) => {
      const items = await admin().addAcl(request.body);
      request.log.info({ rules: items.length }, 'built-in DB ACL rule added');
      return reply.status(201).send({ items });
    },
  );

  app.delete(
    `${base}/acl`,
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['kind', 'topic'],
          properties: {
            kind: { type: 'string', enum: ['username', 'clientid', 'all'] },
            id: { type: 'string', description: 'Username or client id (not for all).' },
            topic: { type: 'string', minLength: 1 },
            action: { type: 'string', enum: ['pub', 'sub', 'pubsub'], description: 'Default: both.' },
          },
        },
      },
      config: { openapi: { summary: "Remove a login's rules for a topic", tags: TAGS, responses: { 200: { type: 'object', properties: { removed: { type: 'integer' } } } } } },
    },
    async (request) => {
      const q = request.query as { kind: 'username' | 'clientid' | 'all'; id?: string; topic: string; action?: 'pub' | 'sub' | 'pubsub' };
      const removed = await admin().removeAcl(q);
      request.log.info({ kind: q.kind, removed }, 'built-in DB ACL rules removed');
      return { removed };
    },
  );
}
