/**
 * The auth-redis decisions (4.x emqx_auth_redis / emqx_acl_redis), over a {@link RedisExec} and a
 * {@link BackendGuard}:
 * - auth_cmd: nil -> ignore; password matches -> allow (then super_cmd); mismatch -> deny 0x86.
 * - super_cmd: `1`/`true` -> superuser; a failing super_cmd only means "not a superuser".
 * - acl_cmd: topic -> access; a matching entry allows; none -> ignore (next module).
 */
import type { AclAction, AclDecision, AuthDecision, ClientInfo, ConnectRequest } from '../../broker/hooks.js';
import {
  checkPassword,
  evaluateAclRows,
  placeholderValues,
  skipsAclBackend,
  type BackendGuard,
  type PasswordHashConfig,
} from '../auth-common/index.js';
import { parseCommand, renderArgs, type CommandTemplate, type CommandVars } from './redis-command.js';
import type { RedisExec } from './redis-backend.js';
import { aclRowsFromReply, authReply, isSuperuserReply } from './redis-replies.js';

export interface RedisAuthRules {
  password_hash: PasswordHashConfig;
  auth_cmd: string;
  super_cmd: string;
  acl_cmd: string;
}

/** MQTT 5 CONNACK 0x86 Bad User Name or Password (3.1.1: 0x04). */
const BAD_CREDENTIALS = 0x86;
const IGNORE = { result: 'ignore' } as const;

export class RedisAuth {
  private readonly authCmd: CommandTemplate | undefined;
  private readonly superCmd: CommandTemplate | undefined;
  private readonly aclCmd: CommandTemplate | undefined;

  constructor(
    private readonly rules: RedisAuthRules,
    private readonly backend: () => RedisExec,
    private readonly guard: BackendGuard,
  ) {
    this.authCmd = parseCommand(rules.auth_cmd);
    this.superCmd = parseCommand(rules.super_cmd);
    this.aclCmd = parseCommand(rules.acl_cmd);
  }

  get hasAcl(): boolean {
    return this.aclCmd !== undefined;
  }

  async authenticate(request: ConnectRequest): Promise<AuthDecision> {
    if (!this.authCmd) return IGNORE;
    const vars = connectVars(request);
    const answer = await this.run('auth_cmd', this.authCmd, vars);
    if (!answer.ok) return this.guard.authFailure();
    const stored = authReply(answer.value);
    if (!stored) return IGNORE;
    const password = request.password?.toString('utf8');
    const matches = password !== undefined && (await checkPassword(this.rules.password_hash, password, stored.password, stored.salt));
    if (!matches) return { result: 'deny', reasonCode: BAD_CREDENTIALS, reason: 'redis: bad username or password' };
    return { result: 'allow', superuser: await this.isSuperuser(vars) };
  }

  async authorize(client: ClientInfo, action: AclAction, topic: string): Promise<AclDecision> {
    if (!this.aclCmd || skipsAclBackend(client)) return IGNORE;
    // 4.x acl_cmd knows %u and %c only.
    const vars: CommandVars = { c: client.clientId };
    if (client.username !== undefined) vars.u = client.username;
    const answer = await this.run('acl_cmd', this.aclCmd, vars);
    if (!answer.ok) return this.guard.aclFailure();
    return evaluateAclRows(aclRowsFromReply(answer.value), client, action, topic);
  }

  private async isSuperuser(vars: CommandVars): Promise<boolean> {
    if (!this.superCmd) return false;
    const answer = await this.run('super_cmd', this.superCmd, vars);
    return answer.ok && isSuperuserReply(answer.value);
  }

  private run(what: string, cmd: CommandTemplate, vars: CommandVars) {
    const args = renderArgs(cmd, vars);
    return this.guard.run(what, () => this.backend().exec(cmd.name, args));
  }
}

function connectVars(request: ConnectRequest): CommandVars {
  const v = placeholderValues(request);
  const vars: CommandVars = { c: v.clientid, a: v.peerhost };
  if (v.password !== undefined) vars.P = v.password;
  if (v.username !== undefined) vars.u = v.username;
  if (v.cn !== undefined) vars.C = v.cn;
  if (v.dn !== undefined) vars.d = v.dn;
  return vars;
}
