/**
 * The user and ACL administration the module exposes (`ctx.expose('auth-builtin-db', ...)`) and
 * the management API serves. Passwords come in as plain text and are stored hashed with the
 * module's current `password_hash`; views never carry a hash or salt.
 */
import { ModmqError, notFound } from '../../errors.js';
import type { Problem } from '../../schema/problem.js';
import type { BuiltinDbConfig } from './config.js';
import { parseImport, parseRule, type ImportUser } from './import-formats.js';
import { fromLegacyBytes, guessAlgorithm, HASH_ALGORITHMS, makeSecret, type HashAlgorithm } from './secret.js';
import type { AclKind, AclRule, AclRuleAction, StoredUser, UserKind, UserStore } from './user-store.js';

/** A user as the API shows it. */
export interface UserView {
  kind: UserKind;
  /** The username or client id (also under `username` / `clientid`). */
  id: string;
  username?: string;
  clientid?: string;
  is_superuser: boolean;
  /** How the stored password is hashed (never the hash itself). */
  hash_algorithm: HashAlgorithm;
  created_at: string;
}

/** One stored ACL rule as the API shows it (`pubsub` is stored as a pub and a sub rule, as in 4.x). */
export interface AclView {
  kind: AclKind;
  username?: string;
  clientid?: string;
  topic: string;
  action: AclRuleAction;
  permission: 'allow' | 'deny';
  created_at: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface ImportOptions {
  /** Replace existing users (default: keep them and count them skipped). */
  overwrite?: boolean;
  /** Algorithm of imported 4.x secrets; default: guessed from their length, else the module's. */
  password_hash?: HashAlgorithm;
  /** Kind of 4.x users without `type` (4.2 `auth.mnesia.as`); default username. */
  as?: UserKind;
}

export interface ImportReport {
  users: { inserted: number; replaced: number; skipped: number; failed: number };
  acl: { inserted: number; failed: number };
  problems: Problem[];
}

/** What `deps.services.get<BuiltinDbAdmin>('auth-builtin-db')` returns. Errors are ModmqErrors. */
export interface BuiltinDbAdmin {
  listUsers(query?: { kind?: UserKind; like?: string; limit?: number; offset?: number }): Promise<Page<UserView>>;
  getUser(kind: UserKind, id: string): Promise<UserView>;
  /** 409 MODMQ_ALREADY_EXISTS when the user exists. */
  addUser(input: { kind: UserKind; id: string; password: string; is_superuser?: boolean }): Promise<UserView>;
  /** 404 when absent. A new password is hashed with the current `password_hash`. */
  updateUser(kind: UserKind, id: string, patch: { password?: string; is_superuser?: boolean }): Promise<UserView>;
  /** 404 when absent. */
  removeUser(kind: UserKind, id: string): Promise<void>;
  importData(body: unknown, options?: ImportOptions): Promise<ImportReport>;
  listAcl(query?: { kind?: AclKind; id?: string; limit?: number; offset?: number }): Promise<Page<AclView>>;
  /** Adds one rule in API shape (`{username?|clientid?, topic, action, permission}`); returns the stored rows. */
  addAcl(rule: unknown): Promise<AclView[]>;
  /** Removes a login's rules for a topic (both actions unless `action`); 404 when none matched. */
  removeAcl(query: { kind: AclKind; id?: string; topic: string; action?: 'pub' | 'sub' | 'pubsub' }): Promise<number>;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

export function userView(u: StoredUser): UserView {
  return {
    kind: u.kind,
    id: u.id,
    [u.kind]: u.id,
    is_superuser: u.isSuperuser,
    hash_algorithm: u.secret.algorithm,
    created_at: new Date(u.createdAt).toISOString(),
  };
}

export function aclView(r: AclRule): AclView {
  return {
    kind: r.kind,
    ...(r.kind === 'all' ? {} : { [r.kind]: r.id }),
    topic: r.topic,
    action: r.action,
    permission: r.permission,
    created_at: new Date(r.createdAt).toISOString(),
  };
}

const invalid = (message: string, pointer = ''): ModmqError =>
  new ModmqError('MODMQ_INVALID_REQUEST', message, 400, [{ pointer, keyword: 'invalid', message }]);

const page = (q: { limit?: number | undefined; offset?: number | undefined }): { limit: number; offset: number } => ({
  limit: Math.min(Math.max(1, Math.floor(q.limit ?? DEFAULT_LIMIT)), MAX_LIMIT),
  offset: Math.max(0, Math.floor(q.offset ?? 0)),
});

export class BuiltinDbService implements BuiltinDbAdmin {
  /** Monotonic clock for created_at, so rules added in one millisecond still sort newest first. */
  private lastStamp = 0;

  constructor(
    private readonly store: UserStore,
    private readonly config: () => BuiltinDbConfig,
    /** Called after users or rules change, so connected clients' cached ACL answers are dropped. */
    private readonly changed: () => void = () => {},
  ) {}

  now(): number {
    this.lastStamp = Math.max(Date.now(), this.lastStamp + 1);
    return this.lastStamp;
  }

  async listUsers(query: { kind?: UserKind; like?: string; limit?: number; offset?: number } = {}): Promise<Page<UserView>> {
    const p = page(query);
    const { items, total } = await this.store.listUsers({
      ...p,
      ...(query.kind ? { kind: query.kind } : {}),
      ...(query.like ? { like: query.like } : {}),
    });
    return { items: items.map(userView), total, ...p };
  }

  async getUser(kind: UserKind, id: string): Promise<UserView> {
    const user = await this.store.getUser(kind, id);
    if (!user) throw notFound('MODMQ_NOT_FOUND', `no ${kind} ${JSON.stringify(id)}`);
    return userView(user);
  }

  async addUser(input: { kind: UserKind; id: string; password: string; is_superuser?: boolean }): Promise<UserView> {
    if (!input.id) throw invalid(`the ${input.kind} must not be empty`, `/${input.kind}`);
    const user: StoredUser = {
      kind: input.kind,
      id: input.id,
      secret: makeSecret(this.config().password_hash, input.password),
      isSuperuser: input.is_superuser === true,
      createdAt: this.now(),
    };
    if (!(await this.store.putUser(user, { ifAbsent: true }))) {
      throw new ModmqError('MODMQ_ALREADY_EXISTS', `${input.kind} ${JSON.stringify(input.id)} exists`, 409);
    }
    return userView(user);
  }

  async updateUser(kind: UserKind, id: string, patch: { password?: string; is_superuser?: boolean }): Promise<UserView> {
    const user = await this.store.getUser(kind, id);
    if (!user) throw notFound('MODMQ_NOT_FOUND', `no ${kind} ${JSON.stringify(id)}`);
    const next: StoredUser = {
      ...user,
      ...(patch.password !== undefined ? { secret: makeSecret(this.config().password_hash, patch.password) } : {}),
      ...(patch.is_superuser !== undefined ? { isSuperuser: patch.is_superuser } : {}),
    };
    await this.store.putUser(next);
    this.changed();
    return userView(next);
  }

  async removeUser(kind: UserKind, id: string): Promise<void> {
    if (!(await this.store.deleteUser(kind, id))) throw notFound('MODMQ_NOT_FOUND', `no ${kind} ${JSON.stringify(id)}`);
    this.changed();
  }

  /** Seeds from the config: inserted only when absent (4.x add_default_user). */
  async seed(config: BuiltinDbConfig): Promise<number> {
    let inserted = 0;
    const seeds = [
      ...config.users.map((u) => ({ kind: 'username' as const, id: u.username, password: u.password, su: u.is_superuser })),
      ...config.clients.map((c) => ({ kind: 'clientid' as const, id: c.clientid, password: c.password, su: c.is_superuser })),
    ];
    for (const s of seeds) {
      if (await this.store.getUser(s.kind, s.id)) continue;
      const user: StoredUser = {
        kind: s.kind, id: s.id, secret: makeSecret(config.password_hash, s.password), isSuperuser: s.su === true, createdAt: this.now(),
      };
      if (await this.store.putUser(user, { ifAbsent: true })) inserted++;
    }
    return inserted;
  }

  async importData(body: unknown, options: ImportOptions = {}): Promise<ImportReport> {
    if (options.password_hash !== undefined && !HASH_ALGORITHMS.includes(options.password_hash)) {
      throw invalid(`password_hash must be one of ${HASH_ALGORITHMS.join(', ')}`, '/password_hash');
    }
    const parsed = parseImport(body, options.as ?? 'username');
    const report: ImportReport = {
      users: { inserted: 0, replaced: 0, skipped: 0, failed: 0 },
      acl: { inserted: 0, failed: 0 },
      problems: [...parsed.problems],
    };
    for (const p of parsed.problems) {
      if (/^\/(users|clients|auth_mnesia)\//.test(p.pointer)) report.users.failed++;
      else if (/^\/(acl|acl_mnesia)\//.test(p.pointer)) report.acl.failed++;
    }
    if (parsed.users.length === 0 && parsed.rules.length === 0 && parsed.problems.some((p) => p.pointer === '')) {
      throw new ModmqError('MODMQ_INVALID_REQUEST', 'nothing importable', 400, parsed.problems);
    }
    for (const { pointer, user } of parsed.users) {
      try {
        const stored = this.toStoredUser(user, options.password_hash);
        const existed = (await this.store.getUser(stored.kind, stored.id)) !== undefined;
        if (existed && !options.overwrite) {
          report.users.skipped++;
          continue;
        }
        await this.store.putUser(stored);
        if (existed) report.users.replaced++;
        else report.users.inserted++;
      } catch (err) {
        report.users.failed++;
        report.problems.push({ pointer, keyword: 'import', message: (err as Error).message });
      }
    }
    for (const { pointer, rule } of parsed.rules) {
      try {
        for (const action of rule.actions) {
          await this.putRule({ kind: rule.kind, id: rule.id, topic: rule.topic, action, permission: rule.permission, createdAt: rule.createdAt ?? this.now() });
        }
        report.acl.inserted++;
      } catch (err) {
        report.acl.failed++;
        report.problems.push({ pointer, keyword: 'import', message: (err as Error).message });
      }
    }
    this.changed();
    return report;
  }

  async listAcl(query: { kind?: AclKind; id?: string; limit?: number; offset?: number } = {}): Promise<Page<AclView>> {
    const p = page(query);
    const { items, total } = await this.store.listRules({
      ...p,
      ...(query.kind ? { kind: query.kind } : {}),
      ...(query.id !== undefined ? { id: query.id } : {}),
    });
    return { items: items.map(aclView), total, ...p };
  }

  async addAcl(input: unknown): Promise<AclView[]> {
    let rule;
    try {
      rule = parseRule(input);
    } catch (err) {
      throw invalid((err as Error).message);
    }
    const at = this.now();
    const stored: AclRule[] = [];
    for (const action of rule.actions) {
      const r: AclRule = { kind: rule.kind, id: rule.id, topic: rule.topic, action, permission: rule.permission, createdAt: at };
      await this.putRule(r);
      stored.push(r);
    }
    this.changed();
    return stored.map(aclView);
  }

  async removeAcl(query: { kind: AclKind; id?: string; topic: string; action?: 'pub' | 'sub' | 'pubsub' }): Promise<number> {
    const id = query.kind === 'all' ? '' : (query.id ?? '');
    if (query.kind !== 'all' && !id) throw invalid(`a ${query.kind} rule needs its ${query.kind}`);
    const action = query.action === 'pub' || query.action === 'sub' ? query.action : undefined;
    const removed = await this.store.deleteRules(query.kind, id, query.topic, action);
    if (removed === 0) throw notFound('MODMQ_NOT_FOUND', `no ${query.kind} rule for topic ${JSON.stringify(query.topic)}`);
    this.changed();
    return removed;
  }

  /** Stores a rule, enforcing max_acls_per_login (a replaced rule does not count twice). */
  private async putRule(rule: AclRule): Promise<void> {
    const max = this.config().max_acls_per_login;
    if (max > 0 && rule.kind !== 'all') {
      const existing = await this.store.rulesOf(rule.kind, rule.id);
      const replaces = existing.some((r) => r.action === rule.action && r.topic === rule.topic);
      if (!replaces && existing.length >= max) {
        throw new ModmqError('MODMQ_INVALID_REQUEST', `${rule.kind} ${JSON.stringify(rule.id)} has ${existing.length} ACL rules (max_acls_per_login ${max})`, 400, [
          { pointer: '/max_acls_per_login', keyword: 'maximum', message: `at most ${max} rules per login` },
        ]);
      }
    }
    await this.store.putRule(rule);
  }

  private toStoredUser(user: ImportUser, algorithm: HashAlgorithm | undefined): StoredUser {
    if ('password' in user) {
      return { kind: user.kind, id: user.id, secret: makeSecret(this.config().password_hash, user.password), isSuperuser: user.isSuperuser, createdAt: this.now() };
    }
    const alg = algorithm ?? guessAlgorithm(user.legacySecret) ?? this.config().password_hash;
    return {
      kind: user.kind,
      id: user.id,
      secret: fromLegacyBytes(alg, user.legacySecret),
      isSuperuser: user.isSuperuser,
      createdAt: user.createdAt ?? this.now(),
    };
  }
}
