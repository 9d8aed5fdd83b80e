import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseDurationMs } from '../../broker/duration.js';
import type { AclAction, AclDecision, AuthDecision, ClientInfo, ConnectRequest } from '../../broker/hooks.js';
import type { Problem } from '../../schema/problem.js';
import { BackendGuard, registerAuthorize } from '../auth-common/index.js';
import type { InstanceHealth, ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { aclFromClaims } from './acl-claim.js';
import { mismatchedClaim } from './claims-check.js';
import type { AuthJwtConfig } from './config.js';
import { JwksSource } from './jwks-source.js';
import { assertPublicKeyPem, TokenVerifier } from './verifier.js';

export type { AuthJwtConfig } from './config.js';

/** How long one JWKS fetch may take (the schema has no key for it). */
export const JWKS_FETCH_TIMEOUT_MS = 5000;
const NOT_AUTHORIZED = 0x87;

interface Engine {
  config: AuthJwtConfig;
  verifier: TokenVerifier;
  jwks: JwksSource | undefined;
  guard: BackendGuard;
}

const isInlinePem = (value: string): boolean => value.includes('-----BEGIN');

function readPem(ctx: ModuleContext, pubkey: string): string {
  if (pubkey === '' || isInlinePem(pubkey)) return pubkey;
  return readFileSync(isAbsolute(pubkey) ? pubkey : resolve(ctx.node.dataDir, pubkey), 'utf8');
}

/** Builds the engine of a config; reuses the running JWKS source when its URL and interval are unchanged. */
async function makeEngine(ctx: ModuleContext, config: AuthJwtConfig, previous: Engine | undefined): Promise<Engine> {
  const pubkeyPem = readPem(ctx, config.pubkey);
  const refreshMs = parseDurationMs(config.jwks_refresh_interval);
  const reuse = previous?.jwks && previous.jwks.url === config.jwks_url && previous.jwks.refreshMs === refreshMs;
  const guard = reuse
    ? previous.guard
    : new BackendGuard({ timeoutMs: JWKS_FETCH_TIMEOUT_MS, onError: config.on_backend_error, log: ctx.log, name: 'auth-jwt' });
  if (reuse) guard.configure({ onError: config.on_backend_error });
  let jwks = reuse ? previous.jwks : undefined;
  if (!jwks && config.jwks_url !== '') {
    jwks = new JwksSource(config.jwks_url, refreshMs, guard);
    await jwks.start();
  }
  try {
    const verifier = new TokenVerifier({ secret: config.secret, pubkeyPem, signatureFormat: config.signature_format, jwks });
    return { config, verifier, jwks, guard };
  } catch (err) {
    if (jwks && !reuse) jwks.stop();
    throw err;
  }
}

/**
 * auth-jwt: clients authenticated by a JSON Web Token in the password (or username), with
 * emqx_auth_jwt 4.x semantics (see the schema's description). The token's claims are kept per
 * connection (weakly: they go with the client) for the ACL claim.
 */
export const authJwt: ModuleType<AuthJwtConfig> = {
  type: 'auth-jwt',
  family: 'auth',
  schemaVersion: 1,

  check(config: AuthJwtConfig): Problem[] {
    const problems: Problem[] = [];
    if (config.jwks_url) {
      try {
        const url = new URL(config.jwks_url);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be http or https');
      } catch (err) {
        problems.push({ pointer: '/jwks_url', keyword: 'format', message: `jwks_url ${(err as Error).message}` });
      }
    }
    try {
      if (!(parseDurationMs(config.jwks_refresh_interval) > 0)) throw new Error('must be greater than 0');
    } catch (err) {
      problems.push({ pointer: '/jwks_refresh_interval', keyword: 'minimum', message: `jwks_refresh_interval ${(err as Error).message}` });
    }
    // A file path is checked where the module runs (create); inline PEM can be checked here.
    if (config.pubkey && isInlinePem(config.pubkey)) {
      try {
        assertPublicKeyPem(config.pubkey);
      } catch (err) {
        problems.push({ pointer: '/pubkey', keyword: 'format', message: `pubkey is not a PEM public key: ${(err as Error).message}` });
      }
    }
    return problems;
  },

  async create(ctx: ModuleContext, config: AuthJwtConfig): Promise<ModuleInstance<AuthJwtConfig>> {
    let engine = await makeEngine(ctx, config, undefined);
    const sessions = new WeakMap<ClientInfo, Record<string, unknown>>();

    const authenticate = async ({ client, password }: ConnectRequest): Promise<AuthDecision> => {
      sessions.delete(client);
      const current = engine;
      const token = current.config.from === 'username' ? client.username : password?.toString('utf8');
      if (!token) return { result: 'ignore' };
      const outcome = await current.verifier.verify(token);
      switch (outcome.kind) {
        case 'ignore':
          return { result: 'ignore' };
        case 'backend-error':
          return current.guard.authFailure();
        case 'deny':
          return { result: 'deny', reasonCode: NOT_AUTHORIZED, reason: outcome.reason };
      }
      if (current.config.verify_claims) {
        const bad = mismatchedClaim(current.config.claims, outcome.claims, client);
        if (bad !== undefined) return { result: 'deny', reasonCode: NOT_AUTHORIZED, reason: `claim ${bad} does not match` };
      }
      sessions.set(client, outcome.claims);
      return { result: 'allow' };
    };

    const authorize = (client: ClientInfo, action: AclAction, topic: string): AclDecision => {
      const claims = sessions.get(client);
      if (!claims) return { result: 'ignore' };
      return aclFromClaims(claims, engine.config.acl_claim_name, client, action, topic, Date.now());
    };

    const unhookAuth = ctx.hooks.authenticate(authenticate);
    const acl = registerAuthorize(ctx.hooks, authorize);

    return {
      async update(next: AuthJwtConfig): Promise<void> {
        const fresh = await makeEngine(ctx, next, engine);
        const old = engine;
        engine = fresh;
        if (old.jwks && old.jwks !== fresh.jwks) old.jwks.stop();
        acl.refresh(); // answers may change (claim name): flush the broker's ACL caches
      },
      async stop(): Promise<void> {
        unhookAuth();
        acl.unhook();
        engine.jwks?.stop();
      },
      status(): InstanceHealth {
        return engine.guard.health();
      },
    };
  },
};
