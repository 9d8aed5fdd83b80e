/**
 * The auth-mongodb decisions (4.x emqx_auth_mongo / emqx_acl_mongo) over a {@link MongoStore} and
 * a {@link BackendGuard}:
 * - auth_query: no document -> ignore; password field(s) match -> allow (then super_query);
 *   a document without the password field or a mismatch -> deny 0x86.
 * - super_query: the super_field is true (or "true" / 1) -> superuser; a failure means "not one".
 * - acl_query: documents of every selector ($or); their `publish` / `subscribe` + `pubsub` topic
 *   arrays; a match allows. No document -> ignore; documents but no match -> DENY (4.x).
 */
import type { AclAction, AclDecision, AuthDecision, ClientInfo, ConnectRequest } from '../../broker/hooks.js';
import {
  checkPassword,
  matchAclTopic,
  placeholderValues,
  skipsAclBackend,
  type BackendGuard,
  type PasswordHashConfig,
} from '../auth-common/index.js';
import { parseSelector, renderSelector, type Selector, type SelectorVars } from './mongo-selector.js';
import type { MongoDocument, MongoStore } from './user-collection.js';

export interface MongoAuthRules {
  auth_query: { collection: string; password_field: string[]; password_hash: PasswordHashConfig; selector: string };
  super_query: { enable: boolean; collection: string; super_field: string; selector: string };
  acl_query: { enable: boolean; collection: string; selector: string; selectors: string[] };
}

const BAD_CREDENTIALS = 0x86;
const IGNORE = { result: 'ignore' } as const;
/** More ACL documents than this for one client is a misconfigured selector, not a use case. */
export const ACL_DOCUMENT_LIMIT = 1000;

export class MongoAuth {
  private readonly authSelector: Selector;
  private readonly superSelector: Selector;
  private readonly aclSelectors: Selector[];

  constructor(
    private readonly rules: MongoAuthRules,
    private readonly store: () => MongoStore,
    private readonly guard: BackendGuard,
  ) {
    this.authSelector = parseSelector(rules.auth_query.selector);
    this.superSelector = parseSelector(rules.super_query.selector);
    this.aclSelectors = [rules.acl_query.selector, ...rules.acl_query.selectors].filter((s) => s.trim() !== '').map(parseSelector);
  }

  async authenticate(request: ConnectRequest): Promise<AuthDecision> {
    const vars = connectVars(request);
    const query = this.rules.auth_query;
    const selector = renderSelector(this.authSelector, vars);
    if (!selector || Object.keys(selector).length === 0) return IGNORE;
    const found = await this.guard.run('auth_query', () => this.store().collection(query.collection).findOne(selector));
    if (!found.ok) return this.guard.authFailure();
    const doc = found.value;
    if (!doc) return IGNORE;

    const [passwordField, saltField] = query.password_field;
    const stored = text(field(doc, passwordField!));
    const password = request.password?.toString('utf8');
    const salt = saltField === undefined ? undefined : text(field(doc, saltField));
    const matches = stored !== undefined && password !== undefined && (await checkPassword(query.password_hash, password, stored, salt));
    if (!matches) return { result: 'deny', reasonCode: BAD_CREDENTIALS, reason: 'mongodb: bad username or password' };
    return { result: 'allow', superuser: await this.isSuperuser(vars) };
  }

  async authorize(client: ClientInfo, action: AclAction, topic: string): Promise<AclDecision> {
    if (!this.rules.acl_query.enable || skipsAclBackend(client)) return IGNORE;
    const vars: SelectorVars = { c: client.clientId };
    if (client.username !== undefined) vars.u = client.username;
    const selectors = this.aclSelectors.map((s) => renderSelector(s, vars)).filter((s): s is Record<string, string> => s !== undefined);
    if (selectors.length === 0) return IGNORE;
    const query = selectors.length === 1 ? selectors[0]! : { $or: selectors };
    const found = await this.guard.run('acl_query', () =>
      this.store().collection(this.rules.acl_query.collection).find(query, ACL_DOCUMENT_LIMIT),
    );
    if (!found.ok) return this.guard.aclFailure();
    if (found.value.length === 0) return IGNORE;
    const own = action === 'publish' ? 'publish' : 'subscribe';
    for (const doc of found.value) {
      for (const filter of [...topics(doc[own]), ...topics(doc.pubsub)]) {
        if (matchAclTopic(filter, client, topic)) return { result: 'allow' };
      }
    }
    return { result: 'deny', reason: `mongodb: no ACL document allows ${action} ${topic}` };
  }

  private async isSuperuser(vars: SelectorVars): Promise<boolean> {
    const q = this.rules.super_query;
    if (!q.enable) return false;
    const selector = renderSelector(this.superSelector, vars);
    if (!selector || Object.keys(selector).length === 0) return false;
    const found = await this.guard.run('super_query', () => this.store().collection(q.collection).findOne(selector));
    if (!found.ok || !found.value) return false;
    const v = field(found.value, q.super_field);
    return v === true || v === 1 || v === 'true' || v === '1';
  }
}

function connectVars(request: ConnectRequest): SelectorVars {
  const v = placeholderValues(request);
  const vars: SelectorVars = { c: v.clientid, a: v.peerhost };
  if (v.username !== undefined) vars.u = v.username;
  if (v.cn !== undefined) vars.C = v.cn;
  if (v.dn !== undefined) vars.d = v.dn;
  return vars;
}

/** A top-level field (own property only: a document cannot smuggle a prototype value). */
function field(doc: MongoDocument, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(doc, name) ? doc[name] : undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** A topic array field (a single string counts as one topic); non-strings are skipped. */
function topics(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return [];
  return v.filter((t): t is string => typeof t === 'string' && t !== '');
}
