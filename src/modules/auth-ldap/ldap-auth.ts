/**
 * The auth-ldap decisions (4.x emqx_auth_ldap / emqx_acl_ldap) over an {@link LdapDirectory} and a
 * {@link BackendGuard}:
 * - authenticate: search the user's entry; none -> ignore; password attribute (or bind as the
 *   entry) matches -> allow, superuser when the entry's `isSuperuser` is TRUE; else deny 0x86.
 * - authorize: the entry's mqttPublishTopic / mqttSubscriptionTopic plus mqttPubSubTopic; a
 *   matching filter allows; no entry or no match -> ignore (next module).
 */
import type { AclAction, AclDecision, AuthDecision, ClientInfo, ConnectRequest } from '../../broker/hooks.js';
import { matchAclTopic, skipsAclBackend, type BackendGuard } from '../auth-common/index.js';
import type { LdapDirectory, LdapEntry } from './ldap-directory.js';
import { searchBase, userFilter, type LdapSearchConfig } from './ldap-filter.js';
import { checkLdapPassword } from './ldap-password.js';

export interface LdapAuthRules extends LdapSearchConfig {
  password_attribute: string;
  bind_as_user: boolean;
}

/** The attribute names the 4.x LDAP schema (and ours) uses. */
export const SUPERUSER_ATTRIBUTE = 'isSuperuser';
export const PUBLISH_ATTRIBUTE = 'mqttPublishTopic';
export const SUBSCRIBE_ATTRIBUTE = 'mqttSubscriptionTopic';
export const PUBSUB_ATTRIBUTE = 'mqttPubSubTopic';

const BAD_CREDENTIALS = 0x86;
const NOT_AUTHORIZED = 0x87;
const IGNORE = { result: 'ignore' } as const;

export class LdapAuth {
  constructor(
    private readonly rules: LdapAuthRules,
    private readonly directory: () => LdapDirectory,
    private readonly guard: BackendGuard,
  ) {}

  async authenticate(request: ConnectRequest): Promise<AuthDecision> {
    const username = request.client.username;
    if (username === undefined || username === '') return IGNORE;
    const attributes = this.rules.bind_as_user ? [SUPERUSER_ATTRIBUTE] : [this.rules.password_attribute, SUPERUSER_ATTRIBUTE];
    const found = await this.find('user search', username, attributes);
    if (!found.ok) return this.guard.authFailure();
    if (found.ambiguous) return { result: 'deny', reasonCode: NOT_AUTHORIZED, reason: 'ldap: several entries match the username' };
    const entry = found.entry;
    if (!entry) return IGNORE;

    const password = request.password?.toString('utf8') ?? '';
    let matches: boolean;
    if (this.rules.bind_as_user) {
      // An empty password would be an unauthenticated bind, which servers accept: never try it.
      if (password === '') return deny();
      const bound = await this.guard.run('bind as user', () => this.directory().bindAs(entry.dn, password));
      if (!bound.ok) return this.guard.authFailure();
      matches = bound.value;
    } else {
      const stored = values(entry, this.rules.password_attribute);
      if (stored.length === 0) return { result: 'deny', reasonCode: BAD_CREDENTIALS, reason: `ldap: entry has no ${this.rules.password_attribute}` };
      matches = false;
      for (const value of stored) if (await checkLdapPassword(password, value)) matches = true;
    }
    if (!matches) return deny();
    return { result: 'allow', superuser: isTrue(values(entry, SUPERUSER_ATTRIBUTE)[0]) };
  }

  async authorize(client: ClientInfo, action: AclAction, topic: string): Promise<AclDecision> {
    const username = client.username;
    if (username === undefined || username === '' || skipsAclBackend(client)) return IGNORE;
    const own = action === 'publish' ? PUBLISH_ATTRIBUTE : SUBSCRIBE_ATTRIBUTE;
    const found = await this.find('acl search', username, [own, PUBSUB_ATTRIBUTE]);
    if (!found.ok) return this.guard.aclFailure();
    if (found.ambiguous) return { result: 'deny', reason: 'ldap: several entries match the username' };
    if (!found.entry) return IGNORE;
    const filters = [...values(found.entry, own), ...values(found.entry, PUBSUB_ATTRIBUTE)];
    return filters.some((f) => matchAclTopic(f, client, topic)) ? { result: 'allow' } : IGNORE;
  }

  private async find(
    what: string,
    username: string,
    attributes: string[],
  ): Promise<{ ok: false } | { ok: true; ambiguous: boolean; entry: LdapEntry | undefined }> {
    const base = searchBase(this.rules, username);
    const filter = userFilter(this.rules, username);
    const answer = await this.guard.run(what, () => this.directory().search(base, filter, attributes, 2));
    if (!answer.ok) return { ok: false };
    const { entries, more } = answer.value;
    return { ok: true, ambiguous: more || entries.length > 1, entry: entries[0] };
  }
}

const deny = (): AuthDecision => ({ result: 'deny', reasonCode: BAD_CREDENTIALS, reason: 'ldap: bad username or password' });

function values(entry: LdapEntry, attribute: string): string[] {
  return entry.attributes.get(attribute.toLowerCase()) ?? [];
}

function isTrue(value: string | undefined): boolean {
  const v = value?.trim().toLowerCase();
  return v === 'true' || v === '1';
}
