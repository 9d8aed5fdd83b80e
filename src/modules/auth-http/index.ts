import { parseDurationMs } from '../../broker/duration.js';
import type { AclAction, AclDecision, AuthDecision, ClientInfo, ConnectRequest, Unhook } from '../../broker/hooks.js';
import type { Problem } from '../../schema/problem.js';
import { BackendGuard } from '../auth-common/index.js';
import type { InstanceHealth, ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import type { AuthHttpConfig, HttpRequestConfig } from './config.js';
import { aclDecision, authDecision, isSuperuser } from './decisions.js';
import { HttpClient } from './http-client.js';
import { aclValues, clientValues, fillParams } from './param-template.js';
import { buildRequest } from './request-builder.js';
import { positiveDuration } from '../runtime/checks.js';

export type { AuthHttpConfig } from './config.js';

/** What one config runs with: built whole before it replaces the previous one. */
interface Backend {
  config: AuthHttpConfig;
  client: HttpClient;
  guard: BackendGuard;
}

const REQUESTS = ['auth_req', 'super_req', 'acl_req'] as const;

function makeBackend(ctx: ModuleContext, config: AuthHttpConfig): Backend {
  const timeoutMs = parseDurationMs(config.request_timeout);
  const client = new HttpClient({
    connectTimeoutMs: Math.min(parseDurationMs(config.connect_timeout), timeoutMs),
    poolSize: config.pool_size,
    tls: config.ssl ?? { verify: false },
    baseDir: ctx.node.dataDir,
  });
  const guard = new BackendGuard({ timeoutMs, onError: config.on_backend_error, log: ctx.log, name: 'auth-http' });
  return { config, client, guard };
}

async function ask(backend: Backend, what: string, request: HttpRequestConfig, params: Record<string, string>) {
  const built = buildRequest(request, params);
  return backend.guard.run(what, (signal) => backend.client.send(built, signal));
}

async function authenticate(backend: Backend, { client, password }: ConnectRequest): Promise<AuthDecision> {
  const { auth_req: authReq, super_req: superReq } = backend.config;
  const answer = await ask(backend, 'auth request', authReq, fillParams(authReq.params, clientValues(client, password)));
  if (!answer.ok) return backend.guard.authFailure();
  const decision = authDecision(answer.value);
  if (decision.result !== 'allow' || !superReq.enable) return decision;
  // Any failure of the superuser request just means "not a superuser" (4.x).
  const superAnswer = await ask(backend, 'superuser request', superReq, fillParams(superReq.params, clientValues(client)));
  return superAnswer.ok && isSuperuser(superAnswer.value) ? { ...decision, superuser: true } : decision;
}

async function authorize(backend: Backend, client: ClientInfo, action: AclAction, topic: string): Promise<AclDecision> {
  const aclReq = backend.config.acl_req;
  const answer = await ask(backend, 'acl request', aclReq, fillParams(aclReq.params, aclValues(client, action, topic)));
  return answer.ok ? aclDecision(answer.value) : backend.guard.aclFailure();
}

/**
 * auth-http: authentication, superuser and ACL by HTTP requests, with emqx_auth_http 4.x
 * semantics (see the schema's description). The authorize hook exists only while acl_req is
 * enabled, so an auth-only module costs nothing on publish.
 */
export const authHttp: ModuleType<AuthHttpConfig> = {
  type: 'auth-http',
  family: 'auth',
  schemaVersion: 1,

  check(config: AuthHttpConfig): Problem[] {
    const problems: Problem[] = [];
    for (const name of REQUESTS) {
      const url = config[name]?.url;
      if (url === undefined) continue;
      try {
        const parsed = new URL(url);
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('must be http or https');
      } catch (err) {
        problems.push({ pointer: `/${name}/url`, keyword: 'format', message: `url ${(err as Error).message}` });
      }
    }
    for (const key of ['request_timeout', 'connect_timeout'] as const) problems.push(...positiveDuration(`/${key}`, config[key]));
    return problems;
  },

  async create(ctx: ModuleContext, config: AuthHttpConfig): Promise<ModuleInstance<AuthHttpConfig>> {
    let backend = makeBackend(ctx, config);
    const unhookAuth = ctx.hooks.authenticate((request) =>
      backend.config.auth_req.enable ? authenticate(backend, request) : { result: 'ignore' },
    );
    let unhookAcl: Unhook | undefined;
    /** (Re-)registers the authorize hook when acl_req is on: a new hook flushes the broker's ACL caches. */
    const syncAclHook = (): void => {
      const previous = unhookAcl;
      unhookAcl = backend.config.acl_req.enable
        ? ctx.hooks.authorize((client, action, topic) => authorize(backend, client, action, topic))
        : undefined;
      previous?.();
    };
    syncAclHook();

    return {
      async update(next: AuthHttpConfig): Promise<void> {
        const fresh = makeBackend(ctx, next); // throws (bad TLS file) before anything changes
        const old = backend;
        backend = fresh;
        syncAclHook();
        // Requests already sent finish on the old pool; it closes after them.
        void old.client.close(true);
      },
      async stop(): Promise<void> {
        unhookAuth();
        unhookAcl?.();
        await backend.client.close();
      },
      status(): InstanceHealth {
        return backend.guard.health();
      },
    };
  },
};
