/**
 * One configuration of a SQL auth module at work: its pool, its guard (timeouts, on_backend_error,
 * degraded status) and its compiled queries. The module swaps engines on update; an old engine
 * is retired once its in-flight calls are done (each bounded by the guard's timeout).
 */
import type { AclAction, AclDecision, AuthDecision, ClientInfo, ConnectRequest } from '../../broker/hooks.js';
import {
  type BackendGuard,
  type GuardResult,
  type PlaceholderValues,
  checkPassword,
  compileSqlTemplate,
  evaluateAclRows,
  placeholderValues,
  skipsAclBackend,
  sqlParams,
  toAclRow,
  type AclRow,
} from '../auth-common/index.js';
import type { InstanceHealth } from '../runtime/module-type.js';
import type { SqlClient, SqlResult } from './sql-client.js';
import type { SqlAuthConfig } from './sql-config.js';
import { columnText, isTruthyFlag } from './row-values.js';

/** MQTT 5 CONNACK 0x86 Bad User Name or Password (3.1.1: 4), what 4.x answered for password_error. */
export const BAD_CREDENTIALS = 0x86;

const IGNORE = { result: 'ignore' } as const;

interface CompiledQuery {
  sql: string;
  params: Array<keyof PlaceholderValues>;
}

function compile(template: string, style: 'question' | 'dollar'): CompiledQuery | undefined {
  return template.trim() === '' ? undefined : compileSqlTemplate(template, style);
}

export class SqlEngine {
  readonly hasAuth: boolean;
  readonly hasAcl: boolean;
  private readonly auth: CompiledQuery | undefined;
  private readonly superQuery: CompiledQuery | undefined;
  private readonly acl: CompiledQuery | undefined;
  private inflight = 0;
  private drained: (() => void) | undefined;
  private closed: Promise<void> | undefined;

  constructor(
    private readonly config: SqlAuthConfig,
    private readonly client: SqlClient,
    private readonly guard: BackendGuard,
    style: 'question' | 'dollar',
  ) {
    this.auth = compile(config.auth_query, style);
    this.superQuery = compile(config.super_query, style);
    this.acl = compile(config.acl_query, style);
    this.hasAuth = this.auth !== undefined;
    this.hasAcl = this.acl !== undefined;
  }

  health(): InstanceHealth {
    return this.guard.health();
  }

  /** One round trip so a dead server shows as degraded before the first client arrives. */
  async probe(): Promise<void> {
    await this.call('connect', { sql: 'SELECT 1', params: [] }, { clientid: '', peerhost: '' });
  }

  /** 4.x check/3: no row -> ignore; password mismatch -> deny; match -> allow (+ superuser). */
  async authenticate(request: ConnectRequest): Promise<AuthDecision> {
    if (!this.auth) return IGNORE;
    const values = placeholderValues(request);
    const result = await this.call('auth query', this.auth, values);
    if (!result.ok) return this.guard.authFailure();
    const row = result.value.rows[0];
    if (!row) return IGNORE;
    if (!result.value.columns.includes('password')) {
      this.guard.degrade('auth_query returns no password column');
      return this.guard.authFailure();
    }
    const stored = columnText(row.password);
    const password = values.password;
    if (stored === undefined || password === undefined) return { result: 'deny', reasonCode: BAD_CREDENTIALS, reason: 'bad username or password' };
    let matches = false;
    try {
      matches = await checkPassword(this.config.password_hash, password, stored, columnText(row.salt));
    } catch {
      matches = false; // a malformed stored hash cannot match
    }
    if (!matches) return { result: 'deny', reasonCode: BAD_CREDENTIALS, reason: 'bad username or password' };
    return (await this.isSuperuser(values)) ? { result: 'allow', superuser: true } : { result: 'allow' };
  }

  /** 4.x check_acl: `$`-usernames and an empty result ignore; a failed query answers on_backend_error. */
  async authorize(client: ClientInfo, action: AclAction, topic: string): Promise<AclDecision> {
    if (!this.acl || skipsAclBackend(client)) return IGNORE;
    const result = await this.call('acl query', this.acl, placeholderValues({ client }));
    if (!result.ok) return this.guard.aclFailure();
    const rows: AclRow[] = [];
    for (const raw of result.value.rows) {
      const row = toAclRow(raw);
      if (row) rows.push(row);
    }
    return evaluateAclRows(rows, client, action, topic);
  }

  /** Waits for in-flight calls, then closes the pool. Idempotent. */
  retire(): Promise<void> {
    this.closed ??= (async () => {
      if (this.inflight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      await this.client.close();
    })();
    return this.closed;
  }

  /** 4.x is_superuser/3: a failing or empty super_query means not a superuser. */
  private async isSuperuser(values: PlaceholderValues): Promise<boolean> {
    if (!this.superQuery) return false;
    const result = await this.call('super query', this.superQuery, values);
    if (!result.ok) return false;
    const row = result.value.rows[0];
    if (!row) return false;
    const column = result.value.columns[0];
    return isTruthyFlag('is_superuser' in row ? row.is_superuser : column !== undefined ? row[column] : undefined);
  }

  private async call(what: string, query: CompiledQuery, values: PlaceholderValues): Promise<GuardResult<SqlResult>> {
    this.inflight++;
    try {
      const params = sqlParams(query.params, values);
      return await this.guard.run(what, (signal) => this.client.query(query.sql, params, signal));
    } finally {
      if (--this.inflight === 0) this.drained?.();
    }
  }
}
